"""Job descriptions and CVs read into numbered sentences (``jobtext.py``): Markdown, plain text,
encodings, binary, empty and huge files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voice_interviewer.errors import InputFileError
from voice_interviewer.jobtext import MAX_UNITS, clean_line, read_document

NLP_JOB = Path(__file__).parent / "data" / "jobs" / "nlp-engineer.md"


def file_line(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[n - 1]


@pytest.mark.unit
def test_markdown_job_becomes_numbered_sentences_without_headings_or_marks():
    doc = read_document(NLP_JOB)
    by_line = {d.line: d.text for d in doc.lines}
    assert by_line[21].startswith("Deep understanding of the transformer architecture")
    assert 1 not in by_line and 10 not in by_line  # "# Senior NLP Engineer…", "## What you will do"
    assert all("**" not in d.text and not d.text.startswith("-") for d in doc.lines)
    assert by_line[3].startswith("Location: Remote")
    for d in doc.lines:  # every sentence is the words of the line it says it is on
        assert d.text in clean_line(file_line(NLP_JOB, d.line))
    assert doc.notes == []


@pytest.mark.unit
def test_long_plain_text_line_is_split_into_sentences_on_the_same_line(tmp_path):
    para = ("We are hiring a machine learning engineer to build our fraud models. "
            "You will train gradient boosting models on transaction data every week. "
            "You will also monitor the models in production and retrain them when the data drifts away. ")
    f = tmp_path / "job.txt"
    f.write_text("Intro line that is short.\n" + para * 2, encoding="utf-8")
    doc = read_document(f)
    assert len(doc.lines) == 1 + 3  # the paragraph's sentences, each once
    assert {d.line for d in doc.lines[1:]} == {2}
    assert doc.lines[2].text == "You will train gradient boosting models on transaction data every week."


@pytest.mark.unit
@pytest.mark.parametrize("content, message", [
    (None, "no such job description file"),
    (b"", "the job description is empty"),
    (b"  \n\n\t\n", "the job description is empty"),
    (b"# Title\n\n## Skills\nPython\n", "has no line of 4 words or more"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not a text file"),
    (b"Hello this is a job\x00\x00 with zero bytes inside it\n", "not a text file"),
])
def test_unusable_job_files_are_one_clear_error(tmp_path, content, message):
    f = tmp_path / "job.md"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(InputFileError) as err:
        read_document(f)
    assert message in err.value.line() and str(f) in err.value.line()


@pytest.mark.unit
def test_a_folder_is_not_a_cv(tmp_path):
    with pytest.raises(InputFileError, match="is a folder, not a CV file"):
        read_document(tmp_path, "cv")


@pytest.mark.unit
def test_latin1_spanish_cv_is_read_with_its_accents_and_a_note(tmp_path):
    f = tmp_path / "cv.txt"
    f.write_bytes("Diseñé la monitorización de modelos en producción con alertas.\n".encode("cp1252"))
    doc = read_document(f, "cv")
    assert doc.lines[0].text == "Diseñé la monitorización de modelos en producción con alertas."
    assert doc.notes == ["not UTF-8: read as Windows-1252 (Latin-1)"]


@pytest.mark.unit
def test_stray_undecodable_bytes_are_replaced_and_said(tmp_path):
    f = tmp_path / "job.txt"  # 0x81 and 0x8d are neither UTF-8 nor Windows-1252
    f.write_bytes(b"Experience with gradient boosting and XGBoost \x81\x8d in production.\n")
    doc = read_document(f)
    assert "gradient boosting and XGBoost" in doc.lines[0].text and "\ufffd" in doc.lines[0].text
    assert doc.notes == ["not UTF-8: 2 undecodable byte(s) replaced"]


@pytest.mark.unit
def test_utf16_with_bom_is_read():
    doc_text = "Experience with gradient boosting and XGBoost in production.\n"
    path = Path(os.environ["XDG_STATE_HOME"]) / "job16.txt"
    path.write_bytes(doc_text.encode("utf-16"))
    assert read_document(path).lines[0].text == doc_text.strip()


@pytest.mark.unit
def test_huge_file_is_bounded(tmp_path):
    f = tmp_path / "huge.md"
    lines = [f"- Build and monitor machine learning pipelines for team ñ{n:05d}.\n" for n in range(20_000)]
    f.write_text("".join(lines), encoding="utf-8")  # 1.3 MB
    doc = read_document(f)
    assert len(doc.lines) == MAX_UNITS and doc.lines[-1].line == MAX_UNITS
    kept = 200_000 // len(lines[0].encode())  # whole lines in the first 200 kB
    assert doc.notes == ["larger than 200 kB: only the first 200 kB read",
                         f"{kept} sentences: only the first {MAX_UNITS} used"]


@pytest.mark.unit
def test_line_numbers_are_an_editors_with_crlf_form_feeds_and_quotes(tmp_path):
    f = tmp_path / "job.txt"
    f.write_bytes(b"Senior ML engineer\r\n\x0cWe need strong Python and SQL skills.\r\n"
                  b"> Experience with Kubernetes and Docker is a plus.\r\n| Team | Size |\r\n|---|---|\r\n"
                  b"| Platform engineering group | 12 people in Madrid |\r\n")
    assert [(d.line, d.text) for d in read_document(f).lines] == [
        (2, "We need strong Python and SQL skills."), (3, "Experience with Kubernetes and Docker is a plus."),
        (6, "Platform engineering group · 12 people in Madrid")]


@pytest.mark.unit
def test_a_repeated_sentence_is_matched_once_at_its_first_line(tmp_path):
    f = tmp_path / "job.md"
    f.write_text("We are an equal opportunity employer.\n- Train gradient boosting models.\n"
                 "We are an equal opportunity employer.\n", encoding="utf-8")
    assert [(d.line, d.text) for d in read_document(f).lines] == [
        (1, "We are an equal opportunity employer."), (2, "Train gradient boosting models.")]
