"""Double of Discord's interaction response rules (Discord docs, Interactions → Receiving and Responding):

- "you must send an initial response within 3 seconds of receiving the event. If the 3 second deadline
  is exceeded, the token will be invalidated": a callback later than that answers 404, code 10062
  (Unknown interaction), and the interaction stays unacknowledged;
- one initial response only: a second callback answers 400, code 40060 (Interaction has already been
  acknowledged);
- "Interaction tokens are valid for 15 minutes and can be used to send followup messages": follow-ups
  (`POST /webhooks/{application}/{token}`, edits of `@original`) need an acknowledged interaction
  (else 404, code 10015 Unknown Webhook) and a token younger than 15 minutes (else 401, code 50027
  Invalid Webhook Token).

Times are the double's clock, from when the interaction was dispatched to the bot.
"""

from __future__ import annotations

from dataclasses import dataclass

from double_clock import DoubleClock

INITIAL_RESPONSE_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60.0

Answer = tuple[int, dict[str, object]]


@dataclass
class Interaction:
    id: str
    token: str
    created: float
    responded: bool = False
    response_type: int | None = None


class Interactions:
    def __init__(self, clock: DoubleClock) -> None:
        self.clock = clock
        self._by_token: dict[str, Interaction] = {}

    def dispatched(self, payload: dict[str, object]) -> None:
        token = str(payload["token"])
        self._by_token[token] = Interaction(str(payload["id"]), token, self.clock.now())

    def get(self, token: str) -> Interaction | None:
        return self._by_token.get(token)

    def callback(self, interaction_id: str, token: str, response_type: int | None) -> Answer | None:
        """None when the initial response is accepted, else the error Discord would answer."""
        found = self._by_token.get(token)
        if found is None or found.id != interaction_id:
            return 404, {"code": 10062, "message": "Unknown interaction"}
        if found.responded:
            return 400, {"code": 40060, "message": "Interaction has already been acknowledged."}
        if self.clock.now() - found.created > INITIAL_RESPONSE_DEADLINE:
            return 404, {"code": 10062, "message": "Unknown interaction"}
        found.responded, found.response_type = True, response_type
        return None

    def followup(self, token: str) -> Answer | None:
        """None when a follow-up (or an edit of the original response) is accepted."""
        found = self._by_token.get(token)
        if found is not None and self.clock.now() - found.created > TOKEN_LIFETIME:
            return 401, {"code": 50027, "message": "Invalid Webhook Token"}
        if found is None or not found.responded:
            return 404, {"code": 10015, "message": "Unknown Webhook"}
        return None
