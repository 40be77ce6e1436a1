"""People, their memberships (person × organization × role), sign-in codes and API tokens."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from kepu.accounts.choices import ConsentKind  # noqa: F401 - the vocabulary other apps share
from kepu.core.pii import EncryptedTextField, mask_phone
from kepu.core.populations import Population
from kepu.core.roles import Role
from kepu.orgs.choices import OrgKind

#: Which kinds of organization each role is held in.
ROLE_ORG_KINDS = {
    Role.RESIDENT: {OrgKind.COMMUNITY},
    Role.COMMUNITY_STAFF: {OrgKind.COMMUNITY},
    Role.STREET_STAFF: {OrgKind.STREET_OFFICE},
    Role.UNIT_STAFF: {OrgKind.MEMBER_UNIT},
    Role.VOLUNTEER_ORG_STAFF: {OrgKind.VOLUNTEER_ORG},
    Role.VOLUNTEER: {OrgKind.VOLUNTEER_ORG},
    Role.EXPERT: {OrgKind.DISTRICT_OFFICE, OrgKind.CITY_OFFICE},
    Role.BASE_STAFF: {OrgKind.SCIENCE_BASE},
    Role.ORG_STAFF: {OrgKind.SCHOOL, OrgKind.ENTERPRISE, OrgKind.PRACTICE_CENTER, OrgKind.PRACTICE_STATION},
    Role.DISTRICT_ADMIN: {OrgKind.DISTRICT_OFFICE},
    Role.CITY_ADMIN: {OrgKind.CITY_OFFICE},
}

#: The role a person lands in when they have several and have not chosen one.
ROLE_PRIORITY = [
    Role.CITY_ADMIN,
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.UNIT_STAFF,
    Role.VOLUNTEER_ORG_STAFF,
    Role.BASE_STAFF,
    Role.ORG_STAFF,
    Role.EXPERT,
    Role.VOLUNTEER,
    Role.RESIDENT,
]


class User(AbstractUser):
    """A person. Staff sign in with a user name and password; residents with phone and code.

    ``phone`` is encrypted at rest; ``phone_index`` is its blind index for sign-in look-ups.
    """

    name = models.CharField(_("name"), max_length=50, blank=True, db_index=True)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_index = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    elder_mode = models.BooleanField(_("elder mode"), default=False)
    home_place = models.ForeignKey(
        "places.Place",
        verbose_name=_("home community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Empty until the person (or a community worker) says; "other" is an answer: none of the five.
    key_population = models.CharField(_("key population"), max_length=12, choices=Population.choices, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.get_display_name()

    def get_display_name(self) -> str:
        return self.name or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def save(self, *args, **kwargs):
        # A person closed or reopened moves the kept counts in post_save (kepu.accounts.holders): one transaction.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)


class Membership(models.Model):
    """A person holds a role in an organization (成员 / 工作人员 / 居民)."""

    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    title = models.CharField(_("position"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
        ]
        # Covers "who belongs to these organizations" without touching the rows: an area's
        # people are found and counted from this index alone.
        indexes = [models.Index(fields=["organization", "is_active", "role", "user"], name="membership_org_cover")]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    def save(self, *args, **kwargs):
        # The kept counts (kepu.accounts.holders) move in post_save: one transaction with the row, even in
        # autocommit (a seed, the shell), so a failure there never leaves a membership counted wrong.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)


class Consent(models.Model):
    """A person's explicit consent (PIPL): to which text, in which version, when. Append-only, never edited."""

    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent to"), max_length=20, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=20)
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "version"], name="consent_once_per_version")]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.version}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Invitation accepted")
    DECLINED = "declined", _("Invitation declined")


class Invitation(models.Model):
    """An organization asks a person who already has an account to take a role in it (邀请).

    Only the person can accept, signed in with their own account; until then they hold no role there.
    Imports invite the people they find already on the platform instead of attaching them, and
    nothing an uploader typed is written to the person's profile.
    """

    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    invited_by = models.ForeignKey(
        User, verbose_name=_("inviter"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.organization} → {self.user} ({self.get_role_display()})"


class LoginCode(models.Model):
    """A one-time sign-in code sent by SMS; only its hash is kept."""

    phone_index = models.CharField(max_length=40, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")

    def __str__(self):
        return f"code {self.pk}"


class ApiToken(models.Model):
    """A bearer token for the API, bound to one membership (the role it acts in)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class RoleHolderPlace(models.Model):
    """A person who holds a counted role (``kepu.accounts.holders.COUNTED_ROLES``) somewhere under a place: one row
    per person and place at every level above an organization where they hold it (city, district, street,
    community), with the date of their earliest such membership still held.

    Kept by ``kepu.accounts.holders`` from the memberships in the same transaction as every change to them, so
    "how many people volunteer in this district" is a sum of ``RoleHolderMonth`` rows, not a distinct count over
    every membership of the city. Internal bookkeeping, shown on no page: its names are not in the catalogues.
    """

    role = models.CharField("role", max_length=24)
    user_id = models.BigIntegerField("person")
    place_path = models.CharField("place", max_length=120)
    since = models.DateTimeField("earliest membership held")

    class Meta:
        verbose_name = "role holder under a place"
        verbose_name_plural = "role holders under places"
        constraints = [
            models.UniqueConstraint(fields=["role", "user_id", "place_path"], name="role_holder_place_key"),
        ]

    def __str__(self):
        return f"{self.role} {self.user_id} {self.place_path} since {self.since:%Y-%m-%d}"


class RoleHolderMonth(models.Model):
    """How many ``RoleHolderPlace`` rows of a role and place have their ``since`` in a month (local time): the
    people holding the role under the place who joined by the end of a year are the sum up to its December."""

    role = models.CharField("role", max_length=24)
    place_path = models.CharField("place", max_length=120)
    month = models.DateField("month joined")
    people = models.IntegerField(default=0)

    KEY = ("role", "place_path", "month")

    class Meta:
        verbose_name = "role holders joined per month"
        verbose_name_plural = "role holders joined per month"
        constraints = [models.UniqueConstraint(fields=["role", "place_path", "month"], name="role_holder_month_key")]

    def __str__(self):
        return f"{self.role} {self.place_path} {self.month:%Y-%m}: {self.people}"
