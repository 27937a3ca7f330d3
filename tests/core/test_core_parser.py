from bot.commands.parser import CommandParser, ParsedCommand, UnknownCommand

PARSER = CommandParser({"declare": "declare", "déclarer": "declare", "resolu": "resolu", "refuser": "refuser",
                        "portfolio": "portfolio", "reouvrir": "reouvrir"})


def test_slash_bang_and_plain_in_dm_parse_alike() -> None:
    for text, direct in (("/declare B2-3 mon plan", False), ("!declare B2-3 mon plan", False),
                         ("declare B2-3 mon plan", True)):
        parsed = PARSER.parse(text, is_direct=direct)
        assert parsed == ParsedCommand("declare", "B2-3 mon plan", ("B2-3", "mon", "plan"), parsed.prefixed)


def test_plain_word_in_a_channel_is_just_a_post() -> None:
    assert PARSER.parse("declare que je suis d'accord") is None


def test_accents_and_case_in_the_name_do_not_matter() -> None:
    parsed = PARSER.parse("/RÉSOLU")
    assert isinstance(parsed, ParsedCommand) and parsed.name == "resolu"
    assert isinstance(PARSER.parse("/Déclarer B1-1"), ParsedCommand)


def test_quotes_are_honoured_and_accents_kept_in_arguments() -> None:
    parsed = PARSER.parse('/refuser "trace illisible, précisez l\'activité" merci')
    assert isinstance(parsed, ParsedCommand)
    assert parsed.argv == ("trace illisible, précisez l'activité", "merci")
    assert parsed.args.startswith('"trace illisible, précisez')


def test_unbalanced_quote_falls_back_to_words() -> None:
    parsed = PARSER.parse('/refuser "pas de guillemet fermant')
    assert isinstance(parsed, ParsedCommand) and parsed.argv == ('"pas', "de", "guillemet", "fermant")


def test_multiline_arguments_are_kept() -> None:
    parsed = PARSER.parse("/declare B2-3\nVoici ma séquence :\nhttps://exemple.fr")
    assert isinstance(parsed, ParsedCommand) and parsed.args == "B2-3\nVoici ma séquence :\nhttps://exemple.fr"


def test_unknown_command_suggests_close_names() -> None:
    parsed = PARSER.parse("/declar B2-3")
    assert isinstance(parsed, UnknownCommand)
    assert parsed.suggestions[0] == "declare"
    assert isinstance(PARSER.parse("/portfollio"), UnknownCommand)


def test_a_path_or_a_slash_alone_is_not_a_command() -> None:
    assert PARSER.parse("/ ") is None
    assert PARSER.parse("/123") is None


# ---- commands inside a message ---------------------------------------------------------------

INLINE = CommandParser(
    {"declare": "declare", "sos": "sos", "valider": "valider", "precisions": "precisions", "resolu": "resolu"},
    inline={"declare": "code", "sos": "end", "valider": "anywhere", "precisions": "anywhere"},
)


def _inline(text: str) -> ParsedCommand | None:
    parsed = INLINE.parse(text)
    assert not isinstance(parsed, UnknownCommand)
    return parsed


def test_declare_after_the_activity_is_found_with_what_came_before() -> None:
    text = ("J'ai mené une recherche documentaire sur l'ENT avec mes 4e, fiche de séance jointe. "
            "/declare B2-3 https://exemple.org/fiche")
    parsed = _inline(text)
    assert parsed is not None and parsed.embedded and parsed.name == "declare"
    assert parsed.args == "B2-3 https://exemple.org/fiche"
    assert parsed.before == "J'ai mené une recherche documentaire sur l'ENT avec mes 4e, fiche de séance jointe."
    bang = _inline("Séance en salle info !declare B3-1 avec les 5e")
    assert bang is not None and bang.args == "B3-1 avec les 5e"


def test_inline_declare_needs_a_code_like_word() -> None:
    assert _inline("Demain je fais mon /declare, promis") is None
    assert _inline("Je ferai un /declare dès que possible") is None
    unknown = _inline("Bilan de la séance /declare Z9-9 https://exemple.org")
    assert unknown is not None and unknown.argv[0] == "Z9-9"  # the handler answers with suggestions


def test_quoted_lines_code_and_glued_words_are_not_commands() -> None:
    assert _inline("> J'ai mené une séance. /declare B2-3 https://exemple.org\n\nBravo pour la séance !") is None
    assert _inline("Bonjour\n>>> Ma séance /declare B2-3 lien\nsuite de la citation") is None
    assert _inline("Écrivez `/declare B2-3 https://…` dans le fil") is None
    assert _inline("Exemple :\n```\n/declare B2-3 https://exemple.org\n```") is None
    assert _inline("Voir https://exemple.org/declare B2-3 et/ou le wiki") is None
    assert _inline("Il a écrit “/declare B2-3 lien” sans espace") is None


def test_help_messages_are_not_commands() -> None:
    for text in ("Pour déclarer une compétence, tapez /declare pour commencer.",
                 "Rappel à tous : utilisez /declare B2-3 votre lien dans le fil.",
                 "Bienvenue ! Exemple : /declare B2-3 https://exemple.org/ma-sequence",
                 "Pensez à /declare B1-1 quand votre séance est finie.",
                 "La syntaxe est /declare <code> <trace>, rien de plus.",
                 "Quand la séance est faite : /declare B2-3 [lien vers la trace]",
                 "To declare, type /declare B2-3 your link"):
        assert _inline(text) is None, text


def test_sos_counts_only_as_the_last_word_and_takes_the_question_before_it() -> None:
    parsed = _inline("Mon vidéoprojecteur ne s'allume plus, comment faire ? /sos")
    assert parsed is not None and parsed.name == "sos"
    assert parsed.args == "Mon vidéoprojecteur ne s'allume plus, comment faire ?"
    assert _inline("Quand je tape /sos rien ne se passe") is None
    assert _inline("Tapez votre question puis /sos") is None
    assert _inline("Ma question est : votre question ? /sos") is None


def test_review_commands_inside_a_reply() -> None:
    parsed = _inline("Merci, c'est clair. /valider B2-3")
    assert parsed is not None and parsed.name == "valider" and parsed.args == "B2-3"
    assert parsed.before == "Merci, c'est clair."
    asked = _inline("Belle séance ! /precisions Quel niveau de classe ?")
    assert asked is not None and asked.args == "Quel niveau de classe ?"
    assert _inline("Pour valider, il suffit de /valider dans le fil") is None


def test_commands_without_an_inline_mode_stay_at_the_start_only() -> None:
    assert _inline("C'est bon pour moi /resolu") is None
    assert isinstance(INLINE.parse("/resolu"), ParsedCommand)
    assert PARSER.parse("Ma séance /declare B2-3 lien") is None  # a parser without inline modes
