"""The chat widget's own words (launcher, placeholder, buttons, screen-reader labels, notes), in the
tenant's language.

What the bot says comes from the conversation; these are the widget's chrome, which a customer of
an Arabic or French tenant should not meet in English. The widget gets the set for the tenant's
locale with its configuration (`GET /channels/web/widget-config`); a language the catalog lacks
gets English. `{name}` is the tenant's display name and `{count}` a
number of unread messages.

The language is negotiated with Babel (`ar_EG` -> `ar`, `pt_BR` -> `pt`, an unknown language ->
English).
"""

from __future__ import annotations

from babel.core import negotiate_locale

EN = {
    "open": "Open chat with {name}",
    "open_unread": "Open chat with {name} ({count} new)",
    "close_chat_with": "Close chat with {name}",
    "dialog": "Chat with {name}",
    "close": "Close chat",
    "log": "Conversation with {name}",
    "typing": "{name} is typing",
    "placeholder": "Type a message…",
    "message_label": "Your message",
    "attach": "Attach a photo or document (up to 10 MB)",
    "attach_title": "Attach a photo or document",
    "send": "Send",
    "suggested": "Suggested replies",
    "you": "You",
    "error": "Something went wrong. Please try again.",
    "unreachable": "We could not reach the assistant. Please try again in a minute.",
    "too_big": "That file is bigger than 10 MB. Please send a smaller photo or PDF.",
    "wrong_type": "Please send a photo (JPEG, PNG, WebP), a PDF or a CSV file.",
}

CATALOG: dict[str, dict[str, str]] = {
    "en": EN,
    "fr": {
        "open": "Ouvrir la discussion avec {name}",
        "open_unread": "Ouvrir la discussion avec {name} ({count} nouveaux)",
        "close_chat_with": "Fermer la discussion avec {name}",
        "dialog": "Discussion avec {name}",
        "close": "Fermer la discussion",
        "log": "Conversation avec {name}",
        "typing": "{name} écrit",
        "placeholder": "Écrivez un message…",
        "message_label": "Votre message",
        "attach": "Joindre une photo ou un document (10 Mo maximum)",
        "attach_title": "Joindre une photo ou un document",
        "send": "Envoyer",
        "suggested": "Réponses suggérées",
        "you": "Vous",
        "error": "Une erreur s'est produite. Veuillez réessayer.",
        "unreachable": "Impossible de joindre l'assistant. Veuillez réessayer dans une minute.",
        "too_big": "Ce fichier dépasse 10 Mo. Envoyez une photo ou un PDF plus léger.",
        "wrong_type": "Envoyez une photo (JPEG, PNG, WebP), un PDF ou un fichier CSV.",
    },
    "pt": {
        "open": "Abrir conversa com {name}",
        "open_unread": "Abrir conversa com {name} ({count} novas)",
        "close_chat_with": "Fechar conversa com {name}",
        "dialog": "Conversa com {name}",
        "close": "Fechar conversa",
        "log": "Conversa com {name}",
        "typing": "{name} está a escrever",
        "placeholder": "Escreva uma mensagem…",
        "message_label": "A sua mensagem",
        "attach": "Anexar uma foto ou um documento (até 10 MB)",
        "attach_title": "Anexar uma foto ou um documento",
        "send": "Enviar",
        "suggested": "Respostas sugeridas",
        "you": "Você",
        "error": "Algo correu mal. Tente novamente.",
        "unreachable": "Não foi possível contactar o assistente. Tente novamente dentro de um minuto.",
        "too_big": "Esse ficheiro tem mais de 10 MB. Envie uma foto ou um PDF mais pequeno.",
        "wrong_type": "Envie uma foto (JPEG, PNG, WebP), um PDF ou um ficheiro CSV.",
    },
    "es": {
        "open": "Abrir chat con {name}",
        "open_unread": "Abrir chat con {name} ({count} nuevos)",
        "close_chat_with": "Cerrar chat con {name}",
        "dialog": "Chat con {name}",
        "close": "Cerrar chat",
        "log": "Conversación con {name}",
        "typing": "{name} está escribiendo",
        "placeholder": "Escribe un mensaje…",
        "message_label": "Tu mensaje",
        "attach": "Adjuntar una foto o un documento (hasta 10 MB)",
        "attach_title": "Adjuntar una foto o un documento",
        "send": "Enviar",
        "suggested": "Respuestas sugeridas",
        "you": "Tú",
        "error": "Algo salió mal. Inténtalo de nuevo.",
        "unreachable": "No pudimos contactar con el asistente. Inténtalo de nuevo en un minuto.",
        "too_big": "Ese archivo supera los 10 MB. Envía una foto o un PDF más pequeño.",
        "wrong_type": "Envía una foto (JPEG, PNG, WebP), un PDF o un archivo CSV.",
    },
    "ar": {
        "open": "افتح المحادثة مع {name}",
        "open_unread": "افتح المحادثة مع {name} ({count} جديدة)",
        "close_chat_with": "أغلق المحادثة مع {name}",
        "dialog": "محادثة مع {name}",
        "close": "أغلق المحادثة",
        "log": "المحادثة مع {name}",
        "typing": "{name} يكتب الآن",
        "placeholder": "اكتب رسالة…",
        "message_label": "رسالتك",
        "attach": "أرفق صورة أو مستندًا (حتى 10 ميغابايت)",
        "attach_title": "أرفق صورة أو مستندًا",
        "send": "إرسال",
        "suggested": "ردود مقترحة",
        "you": "أنت",
        "error": "حدث خطأ ما. يُرجى المحاولة مرة أخرى.",
        "unreachable": "تعذّر الوصول إلى المساعد. يُرجى المحاولة مرة أخرى بعد دقيقة.",
        "too_big": "حجم هذا الملف أكبر من 10 ميغابايت. يُرجى إرسال صورة أو ملف PDF أصغر.",
        "wrong_type": "يُرجى إرسال صورة (JPEG أو PNG أو WebP) أو ملف PDF أو CSV.",
    },
}


def widget_language(locale: str) -> str:
    """The catalog language for a tenant's locale ("ar_EG" -> "ar"); English when there is none."""
    language = locale.split("_", 1)[0].lower()
    return negotiate_locale([locale, language], list(CATALOG), sep="_") or "en"


def widget_strings(locale: str) -> dict[str, str]:
    """Every key of the English set, in the tenant's language where the catalog has it."""
    return EN | CATALOG[widget_language(locale)]
