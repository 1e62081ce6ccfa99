STRINGS = {
    "common.app_title": {"en": "promptlab", "zh": "promptlab"},
    "common.language": {"en": "Language", "zh": "语言"},
}
