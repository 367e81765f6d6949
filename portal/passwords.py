"""Self-service password reset with Django's views: throttled, never telling whether an address
is known, the link absolute (SITE_URL) and single-use, mailed after commit like every notice.

Django's PasswordResetForm already answers the same for a known and an unknown address and its
token expires (PASSWORD_RESET_TIMEOUT) and dies once the password changes. What is ours: the
address compared after folding (portal.identifiers.email_key), accounts that never set a password
included (a partner who lost the registration mail is exactly who needs this), the mail sent
through portal.mail, and two allowances — per client address (an answer with the retry time) and
per address (silently: the page must not differ for a known address).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import public
from portal.formtools import FoldedEmailField, TextSafetyMixin
from portal.identifiers import email_key
from portal.mail import absolute_url, mail_template_send
from portal.models import User
from portal.ratelimit import (
    client_address,
    rate_limit_count,
    rate_limit_retry_at,
    rate_limit_spent,
)

PER_CLIENT = 10  # requests per client address per hour: a ward office shares one address
PER_ADDRESS = 3  # mails per account address per hour
WINDOW = 60 * 60


class PortalPasswordResetForm(TextSafetyMixin, PasswordResetForm):
    email = FoldedEmailField(label=gettext_lazy("登録しているメールアドレス"), max_length=254)

    def get_users(self, email: str) -> Iterator[Any]:
        yield from User.objects.filter(is_active=True, email__iexact=email_key(email))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        if rate_limit_spent(
            scope="password-reset-address",
            client=email_key(to_email),
            limit=PER_ADDRESS,
            window=WINDOW,
        ):
            return
        link = absolute_url(
            reverse(
                "portal:password_reset_confirm",
                kwargs={"uidb64": context["uid"], "token": context["token"]},
            )
        )
        user = context["user"]
        mail_template_send(
            to=to_email,
            template=email_template_name.removesuffix(".txt"),
            context={**context, "link": link, "name": user.display_name or user.username},
            subject=gettext_lazy("パスワードの再設定"),
            recipient=user,
        )


_request_view = auth_views.PasswordResetView.as_view(
    form_class=PortalPasswordResetForm,
    template_name="portal/password_reset.html",
    email_template_name="portal/mail/password_reset.txt",
    success_url=reverse_lazy("portal:password_reset_done"),
)


@public
def password_reset(request: HttpRequest) -> HttpResponseBase:
    """Ask for a reset link; at most PER_CLIENT requests per client address and hour."""
    if request.method == "POST":
        client = client_address(request)
        retry_at = rate_limit_retry_at(scope="password-reset", client=client, limit=PER_CLIENT)
        if retry_at is not None:
            message = _(
                "短時間に多くの再設定が申し込まれました。%(time)s 以降にもう一度お試しください。"
            ) % {"time": date_format(timezone.localtime(retry_at), "TIME_FORMAT")}
            context = {"form": PortalPasswordResetForm(request.POST), "refused": message}
            return render(request, "portal/password_reset.html", context, status=429)
        # Counted before the form is checked: a mistyped address is still a mail asked for.
        rate_limit_count(scope="password-reset", client=client, window=WINDOW)
    return _request_view(request)


password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="portal/password_reset_confirm.html",
        success_url=reverse_lazy("portal:password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="portal/password_reset_complete.html"
    )
)
