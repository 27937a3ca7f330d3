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
