"""Credit lines that close a wire story: cut off the story text, their people kept as
contributors and editors, never as people the story mentions."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.enrichment.annotations import envelope_enrichment, write_ninjs
from services.enrichment.findings import read_article
from services.enrichment.nlp.credits import split_credits
from shared.events import Article, EnrichmentInfo, TextBlock
from shared.trends import trend_keys

STORY = ("LONDON, March 4 (Reuters) - The Bank of England raised interest rates on Tuesday, and Governor "
         "Andrew Bailey said more rises were possible.\n\n"
         "Markets fell after the decision, which was first reported by the Financial Times.")


def credits(body: str) -> tuple[str, list[tuple[str, str]]]:
    story, people = split_credits(body)
    return story, [(p.name, p.rel) for p in people]


@pytest.mark.parametrize("tail, expected", [
    # Reuters, in brackets at the end of the last paragraph or as a paragraph of its own
    (" (Reporting by Jane Doe in Tokyo and John Roe; Additional reporting by Ana Ruiz in Madrid, "
     "Li Wei in Beijing; Writing by Tom Reed; Editing by Mark Potter and Sarah Jones)",
     [("Jane Doe", "contributor"), ("John Roe", "contributor"), ("Ana Ruiz", "contributor"),
      ("Li Wei", "contributor"), ("Tom Reed", "contributor"), ("Mark Potter", "editor"),
      ("Sarah Jones", "editor")]),
    ("\n\nReporting by Jane Doe; Editing by John Roe", [("Jane Doe", "contributor"), ("John Roe", "editor")]),
    ("\n\n(Compiled by Jane Doe; Edited by John Roe.)", [("Jane Doe", "contributor"), ("John Roe", "editor")]),
    # AP and others: a closing sentence, in its own paragraph or run on (HTML bodies lose paragraphs)
    ("\n\nAssociated Press writers Jane Doe in Washington and John Roe in London contributed to this report.",
     [("Jane Doe", "contributor"), ("John Roe", "contributor")]),
    (" AP's Jane Doe contributed reporting from Kyiv.", [("Jane Doe", "contributor")]),
    ("\n\n--With assistance from Jane Doe and John Roe.", [("Jane Doe", "contributor"), ("John Roe", "contributor")]),
    # Reuters' Spanish and Portuguese desks
    ("\n\n(Reporte de Ana Ruiz y Luis Gómez; Editado en español por Carlos Serrano)",
     [("Ana Ruiz", "contributor"), ("Luis Gómez", "contributor"), ("Carlos Serrano", "editor")]),
    (" (Reportagem de Marcela Ayres, em Brasília; Edição de Pedro Fonseca)",
     [("Marcela Ayres", "contributor"), ("Pedro Fonseca", "editor")]),
    # two closing blocks
    ("\n\nJane Doe contributed to this story.\n\n(Editing by John Roe)",
     [("Jane Doe", "contributor"), ("John Roe", "editor")]),
    # a copyright line after the credits, as on agency pages
    ("\n\n(Reporting by Will Dunham; Editing by Tom Brown)\n\n© Reuters",
     [("Will Dunham", "contributor"), ("Tom Brown", "editor")]),
])
def test_closing_credits_are_cut_off_with_their_people(tail, expected):
    assert credits(STORY + tail) == (STORY, expected)


GESCHICHTE = ("BERLIN, 4. März (Reuters) - Die Bundesregierung hat ihre Wachstumsprognose gesenkt, "
              "Finanzminister Christian Lindner sprach von einer schwierigen Lage.\n\nDie Börsen gaben nach.")
HISTOIRE = ("PARIS, 4 mars (Reuters) - La Banque de France a relevé ses prévisions de croissance, a déclaré "
            "son gouverneur François Villeroy de Galhau.\n\nLes marchés ont reculé après l'annonce.")


@pytest.mark.parametrize("story, tail, expected", [
    # Reuters' French desk: a role before each name, or the reporter's name alone first
    (HISTOIRE, " (Reportage de Jane Doe; Édité par John Roe)", [("Jane Doe", "contributor"), ("John Roe", "editor")]),
    (HISTOIRE, "\n\n(Rédigé par Jean-Stéphane Brosse, édité par Blandine Hénault)",
     [("Jean-Stéphane Brosse", "contributor"), ("Blandine Hénault", "editor")]),
    (HISTOIRE, "\n\n(François Revilla, édité par Yves Clarisse)",
     [("François Revilla", "contributor"), ("Yves Clarisse", "editor")]),
    (HISTOIRE, "\n\n(Reportage Ingrid Melander et Marc Leroux à Bruxelles, avec Michel Rose; "
               "version française Tangi Salaün, édité par Sophie Louet)",
     [("Ingrid Melander", "contributor"), ("Marc Leroux", "contributor"), ("Michel Rose", "contributor"),
      ("Tangi Salaün", "translator"), ("Sophie Louet", "editor")]),
    (HISTOIRE, " (Service France, édité par Sophie Louet)", [("Sophie Louet", "editor")]),  # a desk is no one
    # Reuters' German desk, with the newsroom's contact sentence (and its own brackets) inside
    (GESCHICHTE, " (Berichterstattung von Jane Doe; Redigiert von John Roe)",
     [("Jane Doe", "contributor"), ("John Roe", "editor")]),
    (GESCHICHTE, "\n\n(Reporter: Andreas Rinke und Holger Hansen in Berlin, Mitarbeit: Anna Schmidt; "
                 "geschrieben von Max Weber; redigiert von Scot W. Stevenson. Bei Rückfragen wenden Sie sich an "
                 "unsere Redaktion unter berlin.newsroom@thomsonreuters.com (für Politik und Konjunktur) oder "
                 "frankfurt.newsroom@thomsonreuters.com (für Unternehmen und Märkte).)",
     [("Andreas Rinke", "contributor"), ("Holger Hansen", "contributor"), ("Anna Schmidt", "contributor"),
      ("Max Weber", "contributor"), ("Scot W. Stevenson", "editor")]),
], ids=["fr-roles", "fr-redige", "fr-name-first", "fr-avec-version", "fr-desk", "de-berichterstattung",
        "de-reporter-contact"])
def test_french_and_german_credits_are_cut_off_with_their_people(story, tail, expected):
    assert credits(story + tail) == (story, expected)


@pytest.mark.parametrize("story, tail", [
    (HISTOIRE, " (Emmanuel Macron, avec Olaf Scholz)"),  # "avec" alone credits no one
    (HISTOIRE, "\n\nAvec Emmanuel Macron et Olaf Scholz à Berlin"),
    (HISTOIRE, " (Reportage de France 2)"),
    (HISTOIRE, " (avec Reuters)"),
    (HISTOIRE, " (Emmanuel Macron, Olaf Scholz)"),  # names without a role
    (GESCHICHTE, " (Quelle: Statistisches Bundesamt)"),
    (GESCHICHTE, " (Reporter: die Kollegen vor Ort, redigiert von der Zentrale)"),
    (GESCHICHTE, " (siehe auch (a) und (b))"),
    (GESCHICHTE, " (Fragen an Jane Doe unter presse@example.org)"),  # a contact alone credits no one
])
def test_french_and_german_story_text_that_only_looks_like_a_credit_is_kept(story, tail):
    assert credits(story + tail) == (story + tail, [])


@pytest.mark.parametrize("tail", [
    " (as reported by the Financial Times)",
    " (Reuters)",
    " (Editing by hand is slow, the union said)",
    "\n\nReporting by the BBC showed that the ministry knew of the plan.",
    "\n\nJane Doe contributed to the campaign of the mayor.",
    "\n\nThe union said Jane Doe and John Roe contributed to this report of abuses.",
    "\n\n© 2025 Reuters. All rights reserved.",  # a notice alone is left to the page cleaner
])
def test_story_text_that_only_looks_like_a_credit_is_kept(tail):
    assert credits(STORY + tail) == (STORY + tail, [])


# Bodies a provider could send, sized so that rescanning a run of spaces from each of its
# spaces, from each place a closing sentence may start, takes minutes (18 s for 100 kB of
# spaces; 24 s for 1,750 characters with a place ending in spaces): read once, each takes
# milliseconds. No time is asserted; a regression shows as a test that runs into pytest's timeout.
@pytest.mark.parametrize("body, story, people", [
    ("The minister spoke." + " " * 200_000 + "x", None, []),
    ("The minister spoke." + " " * 200_000 + "x. Jane Doe contributed to this report.",
     "The minister spoke." + " " * 200_000 + "x.", [("Jane Doe", "contributor")]),
    ('A " ' * 60 + "Jane Doe contributed reporting from Kyiv" + " " * 1_700 + "x!", None, []),
    ('"Yes" ' * 40_000 + "x", None, []),
    ("Prices fell. (Reporting by Jane" + " " * 200_000 + "Doe)", "Prices fell.", [("Jane Doe", "contributor")]),
    # brackets, separators and role words in bulk, for the bracket matching and the French and German roles
    ("(" * 200_000 + ")", None, []),
    ("x" + ")" * 200_000, None, []),
    ("Prix. (" + "a(b)" * 50_000 + ")", None, []),
    ("Prix. " + "(x)" * 66_000 + "))", None, []),
    ("; avec " * 30_000 + "x", None, []),
    ("Reporter: " * 20_000 + "x", None, []),
    ("Prix. (" + "Édité par " * 20_000 + "Jane Doe)", None, []),
    ("Prix. (Reportage" + " " * 200_000 + "Jean Dupont, édité par Yves Clarisse)", "Prix.",
     [("Jean Dupont", "contributor"), ("Yves Clarisse", "editor")]),
    ("Prix. (Reporter: Jane Doe. " + "@" * 200_000 + ")", "Prix.", [("Jane Doe", "contributor")]),
], ids=["spaces", "spaces-before-credits", "place-ending-in-spaces", "quotes", "spaces-in-a-name",
        "openings", "closings", "nested", "many-brackets", "avec", "reporter", "edite", "spaces-after-reportage",
        "at-signs"])
def test_a_hostile_body_is_read_in_one_pass(body, story, people):
    assert credits(body) == (story or body, people)


def read(body: str, language: str | None = None) -> tuple[Article, dict]:
    article = Article(uri="urn:test:credits", language=language,
                      headlines=[TextBlock(role="main", value="Bank raises rates")],
                      bodies=[TextBlock(contentType="text/plain", value=body)],
                      people=[{"name": "Jane Doe", "rel": "author"}])
    findings = read_article(article, received_at=datetime(2025, 3, 4, tzinfo=timezone.utc))
    write_ninjs(findings, article)
    return article, envelope_enrichment(findings)


def test_credited_people_are_contributors_not_mentioned_or_trending():
    article, enrichment = read(STORY + " (Reporting by Jane Doe and Ana Ruiz; Editing by John Roe)\n\n"
                               "Associated Press writer Tom Reed in Washington contributed to this report.")
    names = {e["name"] for e in enrichment["entities"]}
    assert {"Andrew Bailey", "Bank of England"} <= names
    assert not names & {"Jane Doe", "Ana Ruiz", "John Roe", "Tom Reed", "Associated Press", "Washington"}
    assert not any(k.split("\t")[1] in ("Jane Doe", "John Roe", "Tom Reed")
                   for k in trend_keys(EnrichmentInfo(**enrichment)))
    assert article.people[0] == {"name": "Jane Doe", "rel": "author"}  # the byline's own, kept
    assert {"name": "Ana Ruiz", "rel": "contributor"} in article.people
    assert {"name": "John Roe", "rel": "editor"} in article.people
    assert {"name": "Tom Reed", "rel": "contributor"} in article.people
    assert not any(p["rel"] == "mentioned" and p["name"] in ("Ana Ruiz", "John Roe", "Tom Reed")
                   for p in article.people)
    assert not any("Reporting" in s or "contributed" in s for s in enrichment["summary"])


def test_a_german_storys_credits_are_its_contributors_and_editor_not_people_it_mentions():
    article, enrichment = read(GESCHICHTE + "\n\n(Reporter: Andreas Rinke; redigiert von Scot W. Stevenson)",
                               language="de")
    assert {"name": "Andreas Rinke", "rel": "contributor"} in article.people
    assert {"name": "Scot W. Stevenson", "rel": "editor"} in article.people
    assert not {e["name"] for e in enrichment["entities"]} & {"Andreas Rinke", "Scot W. Stevenson"}
    assert not any("redigiert" in s for s in enrichment["summary"])


def test_credits_of_a_story_in_another_language_are_contributors_too():
    article, enrichment = read("El Banco de España subió los tipos de interés el martes. Los mercados cayeron "
                               "tras la decisión del banco central.\n\n"
                               "(Reporte de Ana Ruiz; Editado en español por Carlos Serrano)", language="es")
    assert {"name": "Ana Ruiz", "rel": "contributor"} in article.people
    assert {"name": "Carlos Serrano", "rel": "editor"} in article.people
    assert not any("Reporte" in s for s in enrichment["summary"])
