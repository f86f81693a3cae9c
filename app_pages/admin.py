"""Access & audit (admins only): the audit log, and partner links (`pmhc.ui.admin`)."""

from pmhc.ui import admin

admin.page()
