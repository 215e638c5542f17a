"""``{% subnav "<app>/_subnav.html" %}``: an app's row of tabs, rendered once a process for each
role, page and language.

A subnav depends on who is looking (their role, whether they are a superuser) and on the page
(its URL name, view name and namespace, to mark the active tab), never on the records shown.
Its dozen reversed URLs and translated labels were a third of a millisecond of every page that
printed one. The template gets exactly those values (``role``, ``is_superuser``, ``url_name``,
``view_name``, ``namespace``) and nothing else of the page's context, so what it prints cannot
depend on anything the cache's key leaves out. Bounded by roles × pages × languages, as the
main menu (``healthaid.context_processors``).
"""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=2048)
def _subnav_html(
    template_name: str,
    role: str | None,
    is_superuser: bool,
    url_name: str,
    view_name: str,
    namespace: str,
    language: str | None,
    urlconf: str | None,
    prefix: str,
) -> SafeString:
    return mark_safe(
        render_to_string(
            template_name,
            {
                "role": role,
                "is_superuser": is_superuser,
                "url_name": url_name,
                "view_name": view_name,
                "namespace": namespace,
            },
        )
    )


@register.simple_tag(takes_context=True)
def subnav(context, template_name: str) -> SafeString:
    profile = context.get("user_profile")
    user = context.get("user")
    match = getattr(context.get("request"), "resolver_match", None)
    return _subnav_html(
        template_name,
        profile.role if profile is not None else None,
        bool(getattr(user, "is_superuser", False)),
        (match.url_name or "") if match else "",
        match.view_name if match else "",
        match.namespace if match else "",
        get_language(),
        get_urlconf(),
        get_script_prefix(),
    )
