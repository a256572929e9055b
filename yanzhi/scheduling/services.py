"""Business actions on appointments.

NOTE (visits branch): only `mark_arrived` lives here, with the signature and rules agreed with the
scheduling app; the scheduling branch's full module replaces this file when merging.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit
from yanzhi.core.errors import BusinessError
from yanzhi.scheduling.models import Appointment


@transaction.atomic
def mark_arrived(appointment: Appointment, *, arrived_at=None, by) -> Appointment:
    """A booked appointment becomes ARRIVED; cancelled, no-show or already-arrived ones are refused."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    refusals = {
        Appointment.Status.CANCELLED: ("appointment_cancelled", _("该预约已取消,不能登记到店")),
        Appointment.Status.NO_SHOW: ("appointment_no_show", _("该预约已标记为爽约,不能登记到店")),
        Appointment.Status.ARRIVED: ("appointment_already_arrived", _("该预约已登记到店")),
    }
    if appointment.status in refusals:
        code, message = refusals[appointment.status]
        raise BusinessError(code, message, fields={"appointment": [message]})
    before = audit.snapshot(appointment, ["status", "arrived_at"])
    appointment.status = Appointment.Status.ARRIVED
    appointment.arrived_at = arrived_at or timezone.now()
    appointment.save(update_fields=["status", "arrived_at", "updated_at"])
    audit.record(
        by,
        "appointment.arrived",
        appointment,
        before=before,
        after=audit.snapshot(appointment, ["status", "arrived_at"]),
    )
    return appointment
