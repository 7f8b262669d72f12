"""Under the ``mailings`` directory in the directories page: each mailing's next three run times
(or why it cannot run), and "send me a test now" to an address typed beside it.

The test runs in the page's kernel, which gets the settings without their secrets: it can send
through a server that takes mail without a login (an office relay); a server that wants
``smtp.password`` is answered with the ``atsnb mail send … --to …`` command that can."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from atsnb.delivery.mail import MailChannel
from atsnb.delivery.mailings import MailError
from atsnb.errors import AtsnbError
from atsnb.i18n import t


class MailingsPanel:
    def __init__(self, channel: MailChannel):
        self.channel = channel
        self.schedule = widgets.HTML()
        found = channel.mailings()
        names = [name for name, mailing in found if not isinstance(mailing, MailError)]
        label = {"description_width": "initial"}  # the whole label, not cut to Jupyter's 80 px
        self.choice = widgets.Dropdown(options=names, description=t("mail_ui_mailing"), style=label)
        self.address = widgets.Text(placeholder="you@example.ru", description=t("mail_ui_to"), style=label)
        self.button = widgets.Button(description=t("mail_ui_send_test"), icon="envelope",
                                     layout=widgets.Layout(width="auto"))
        self.result = widgets.HTML()
        self.button.on_click(lambda _: self.send_test())
        self.widget = widgets.VBox([self.schedule, widgets.HBox([self.choice, self.address, self.button],
                                                                 layout=widgets.Layout(flex_flow="row wrap")),
                                    self.result])
        self.show_schedule(found)

    def show_schedule(self, found) -> None:
        """Each mailing with its next three run times in the PBX's zone, or its problem in red."""
        tz = self.channel.settings.tz
        now = pd.Timestamp.now(tz=tz)
        rows = []
        for name, mailing in found:
            if isinstance(mailing, MailError):
                rows.append(f'<li style="color:#b00020">{html.escape(str(mailing))}</li>')
                continue
            times = ", ".join(m.strftime("%d.%m.%Y %H:%M") for m in mailing.next_times(tz, now))
            state = "" if mailing.active else f" ({t('mail_cli_inactive')})"
            rows.append(f"<li><b>{html.escape(name)}</b>{html.escape(state)} — {html.escape(mailing.schedule)}: "
                        f"{html.escape(times)}</li>")
        self.schedule.value = f"<div><b>{html.escape(t('mail_ui_next_runs'))}</b><ul>{''.join(rows)}</ul></div>"

    def send_test(self) -> None:
        """Run the chosen mailing now and send it only to the typed address."""
        address = self.address.value.strip()
        if not self.choice.value or "@" not in address:
            self.result.value = f'<span style="color:#b00020">{html.escape(t("mail_ui_need_address"))}</span>'
            return
        smtp = self.channel.settings.smtp
        if smtp.user and not smtp.password:  # a dashboard kernel: the settings it gets hold no secret
            problem = t("mail_ui_no_password", user=smtp.user, mailing=self.choice.value, to=address)
            self.result.value = f'<span style="color:#b00020">{html.escape(problem)}</span>'
            return
        self.result.value = html.escape(t("mail_ui_sending"))
        self.button.disabled = True  # a second click while the report runs would send a second mail
        try:
            note = self.channel.send_now(str(self.choice.value), (address,))
        except AtsnbError as exc:
            self.result.value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'
            return
        finally:
            self.button.disabled = False
        self.result.value = f'<span style="color:#1b5e20">{html.escape(t("mail_ui_sent", to=address, note=note))}</span>'
