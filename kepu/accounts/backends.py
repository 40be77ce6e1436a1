"""Sign-in with a phone number and a one-time code, through Django's auth stack.

Going through ``authenticate()`` means django-axes counts failed codes like failed
passwords, so the phone number (and the client address) lock out after repeated failures.
"""

from django.contrib.auth.backends import BaseBackend

from kepu.accounts.models import User


class PhoneCodeBackend(BaseBackend):
    def authenticate(self, request, username=None, code=None, consent_version="", **kwargs):
        if not username or not code:
            return None
        from kepu.accounts.services import verify_login_code

        return verify_login_code(phone=username, code=code, consent_version=consent_version)

    def get_user(self, user_id):
        try:
            return User.objects.get(pk=user_id, is_active=True)
        except User.DoesNotExist:
            return None
