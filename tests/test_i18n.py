from atsnb import i18n


def test_russian_by_default_english_by_setting(monkeypatch):
    monkeypatch.delenv("ATSNB_UI_LANGUAGE", raising=False)
    assert i18n.t("missed") == "Пропущен"
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    assert i18n.t("missed") == "Missed"


def test_every_key_has_both_languages():
    for key, texts in i18n.messages().items():
        assert set(texts) >= {"ru", "en"}, key
