"""Long texts are cut on clean boundaries into messages Discord accepts."""

from __future__ import annotations

from adapters.discord.split import split_message


def test_short_text_is_one_message() -> None:
    assert split_message("Bonjour") == ["Bonjour"]
    assert split_message("x" * 2000) == ["x" * 2000]


def test_paragraphs_are_kept_whole() -> None:
    paragraphs = [f"§{i} " + "mot " * 150 for i in range(8)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_message(text)
    assert all(len(part) <= 2000 for part in parts)
    # Every part is a run of whole paragraphs, and nothing is lost.
    assert "\n\n".join(parts) == text
    assert all(part.startswith("§") for part in parts)


def test_a_long_paragraph_is_cut_at_lines_then_words() -> None:
    lines = "\n".join(f"ligne {i} " + "a" * 90 for i in range(40))
    parts = split_message(lines)
    assert all(len(part) <= 2000 for part in parts)
    assert "\n".join(parts) == lines
    words = " ".join(["mot"] * 1000)
    parts = split_message(words)
    assert all(len(part) <= 2000 for part in parts) and " ".join(parts) == words


def test_a_giant_word_is_cut_hard() -> None:
    parts = split_message("z" * 4500)
    assert [len(part) for part in parts] == [2000, 2000, 500]


def test_code_blocks_are_closed_and_reopened() -> None:
    code = "\n".join(f"print({i})  # " + "c" * 60 for i in range(60))
    text = "Voici le script :\n\n```python\n" + code + "\n```\n\nFin."
    parts = split_message(text)
    assert len(parts) >= 2 and all(len(part) <= 2000 for part in parts)
    for part in parts:
        fences = [line for line in part.split("\n") if line.startswith("```")]
        assert len(fences) % 2 == 0, part[:80]
    assert parts[1].startswith("```python\n")
    assert parts[-1].endswith("Fin.")


def test_a_tiny_head_under_a_long_fence_still_progresses() -> None:
    text = "```" + "x" * 3000
    parts = split_message(text)
    assert "".join(parts) == text and all(len(part) <= 2000 for part in parts)
