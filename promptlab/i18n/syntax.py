"""UI text of the prompt language (promptlab.syntax): full-width punctuation, schedule limits."""

STRINGS = {
    "syntax.fullwidth.warning": {
        "en": "Full-width punctuation typed with a Chinese IME: A1111 reads it as plain text, so these weights and "
              "brackets do nothing ({examples}). Fix turns them into ASCII A1111 syntax.",
        "zh": "检测到中文输入法输入的全角标点：A1111 会把它们当作普通文字，这些权重和括号不会生效（{examples}）。"
              "点击“修正”将其改为 A1111 的半角语法。",
    },
    "syntax.fullwidth.fix": {"en": "Fix full-width punctuation", "zh": "修正全角标点"},
    "syntax.fullwidth.fixed": {"en": "Full-width punctuation replaced with ASCII.", "zh": "已将全角标点改为半角。"},
    "syntax.fullwidth.counter": {
        "en": "Full-width {examples} is plain text to A1111 (no weight or bracket); write {fixed}.",
        "zh": "全角 {examples} 在 A1111 中只是普通文字（不是权重或括号）；请写成 {fixed}。",
    },
}
