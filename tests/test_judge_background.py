"""The offline judge's bank background (off-topic by margin), its vector store, and batched scoring."""

from __future__ import annotations

import json

import numpy as np
import pytest

from voice_interviewer.bank import QuestionBank
from voice_interviewer.judging.batch import CHUNK, score_lines
from voice_interviewer.judging.embeddings import VectorStore
from voice_interviewer.judging.offline import OfflineJudge

# a sound answer to the precision/recall question, given to the bias/variance question
PRECISION_ANSWER = (
    "precision is the share of the predicted positives that are really positive and recall is the share of "
    "the real positives that the model finds so if missing a sick patient is costly you favour recall and you "
    "move the decision threshold down and the f1 score balances both"
)


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


@pytest.mark.model
def test_an_answer_to_another_bank_question_is_off_topic(offline_judge, bank, tmp_path):
    judge = OfflineJudge(embedder=offline_judge.embedder, background=list(bank.questions.values()))
    wrong_question = judge.judge(bank.get("bias-variance"), PRECISION_ANSWER, "en")
    right_question = judge.judge(bank.get("precision-recall"), PRECISION_ANSWER, "en")
    assert "off_topic" in wrong_question.details["flags"] and wrong_question.score <= 1.0
    assert "off_topic" not in right_question.details["flags"] and right_question.score >= wrong_question.score + 3


@pytest.mark.unit
def test_vector_store_keeps_vectors_between_runs_and_ignores_a_damaged_file(tmp_path):
    path = tmp_path / "vectors.npz"
    key = VectorStore.key("query", "a model answer")
    VectorStore(path).put({key: np.ones(4, dtype=np.float32)})
    assert VectorStore(path).get(key).tolist() == [1.0] * 4
    path.write_bytes(b"not a zip file")
    damaged = VectorStore(path)
    assert damaged.get(key) is None
    damaged.put({key: np.zeros(4, dtype=np.float32)})  # replaced by a good file
    assert VectorStore(path).get(key).tolist() == [0.0] * 4


class RecordingEmbedder:
    """Bag-of-words vectors; records the size of every batch it computes."""

    name = "recording"

    def __init__(self):
        self.cache: dict[str, np.ndarray] = {}
        self.batches: list[int] = []

    def encode(self, texts, kind="passage", cache=False, persist=False):
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            self.batches.append(len(todo))
        for t in todo:
            v = np.zeros(32)
            v[0] = 2.0
            for w in t.lower().split():
                v[1 + hash(w) % 31] += 1.0
            self.cache[t] = v / np.linalg.norm(v)
        return np.vstack([self.cache[t] for t in texts])


@pytest.mark.unit
def test_batch_scoring_embeds_each_chunk_in_one_call(bank):
    emb = RecordingEmbedder()
    judge = OfflineJudge(embedder=emb)
    n = CHUNK + 8
    lines = [json.dumps({"id": i, "question_id": "bias-variance",
                         "answer": f"answer {i}: bias is underfitting and variance is overfitting number {i} " * 4})
             for i in range(n)]
    rows = list(score_lines(lines, judge, bank, "en"))
    assert [r["id"] for r in rows] == list(range(n)) and all("score" in r for r in rows)
    # the question's references once, then one call per chunk: nothing left for the answers one by one
    assert len(emb.batches) == 3
    assert emb.batches[1] > CHUNK  # every window of the first chunk's answers


WALK_FORWARD_IN_OTHER_WORDS = (
    "what I'd do is pick a cutoff date, fit on everything before it and score the weeks right after it, "
    "then move the cutoff a bit later and do it again, several times, so you see how it would have done "
    "month after month"
)


@pytest.mark.model
def test_a_paraphrase_earns_its_key_point_through_the_restatements(offline_judge, bank):
    question = bank.get("time-series-validation")
    kp = question.key_point("walk-forward")
    assert kp.restatements.en and not any(t in WALK_FORWARD_IN_OTHER_WORDS for t in kp.evidence.en)
    bare = question.model_copy(update={"rubric": [k.model_copy(update={"restatements": type(k.restatements)()})
                                                  for k in question.rubric]})
    with_them = offline_judge.judge(question, WALK_FORWARD_IN_OTHER_WORDS, "en")
    without = offline_judge.judge(bare, WALK_FORWARD_IN_OTHER_WORDS, "en")
    verdict = {k.id: k for k in with_them.key_points}["walk-forward"]
    assert verdict.verdict in ("covered", "partly")
    assert verdict.similarity > {k.id: k for k in without.key_points}["walk-forward"].similarity
    assert with_them.score > without.score
