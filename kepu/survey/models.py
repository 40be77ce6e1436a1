"""The literacy survey inside the platform: rounds, their sampling design, responses and results.

Statistics are computed by the engine in ``kepu.literacy`` (no Django there); this app keeps
the data the engine needs (question bank, design, margins, approved responses) and the
results it returns.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kepu.core.models import TimeStampedModel

MIN_AGE, MAX_AGE = 18, 69


class Dimension(models.TextChoices):
    KNOWLEDGE = "knowledge", _("Scientific knowledge")
    METHOD = "method", _("Scientific method")
    SPIRIT = "spirit", _("Scientific spirit and thought")
    APPLICATION = "application", _("Applying science")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")


class ScoringRuleChoice(models.TextChoices):
    """The engine's bundled rules (``kepu/literacy/rules/<name>.json``)."""

    CURRENT = "current", _("Total of 70 or more (today's rule)")
    LEGACY = "legacy", _("Every dimension passes its mark (older rule)")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or less")
    JUNIOR_HIGH = "junior_high", _("Junior high school")
    SENIOR_HIGH = "senior_high", _("Senior high or vocational school")
    COLLEGE = "college", _("College or above")


class Area(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class KeyPopulation(models.TextChoices):
    """The five key populations (重点人群); empty when none applies or it was not asked."""

    YOUTH = "youth", _("Youth")
    FARMERS = "farmers", _("Farmers")
    WORKERS = "workers", _("Industrial workers")
    ELDERLY = "elderly", _("The elderly")
    OFFICIALS = "officials", _("Officials and civil servants")


class AgeGroup(models.TextChoices):
    A18 = "18-29", "18–29"
    A30 = "30-39", "30–39"
    A40 = "40-49", "40–49"
    A50 = "50-59", "50–59"
    A60 = "60-69", "60–69"


def age_group(age: int) -> str:
    if age < 30:
        return AgeGroup.A18
    if age < 40:
        return AgeGroup.A30
    if age < 50:
        return AgeGroup.A40
    if age < 60:
        return AgeGroup.A50
    return AgeGroup.A60


class QuestionBank(TimeStampedModel):
    """A questionnaire version: its questions with dimension, points and answer key."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class Question(models.Model):
    bank = models.ForeignKey(
        QuestionBank, verbose_name=_("question bank"), on_delete=models.CASCADE, related_name="questions"
    )
    code = models.CharField(_("code"), max_length=20)
    position = models.PositiveSmallIntegerField(pgettext_lazy("ordering", "position"))
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text = models.TextField(_("question"))
    #: ``[{"key": "A", "text": "…"}, …]``
    options = models.JSONField(_("options"), default=list)
    answer = models.CharField(_("answer"), max_length=10)
    points = models.FloatField(_("points"), default=1.0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["bank", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "code"], name="survey_question_unique_code"),
            models.UniqueConstraint(fields=["bank", "position"], name="survey_question_unique_position"),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:30]}"


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    HISTORIC = "historic", _("Historic (recorded figure)")


class Round(TimeStampedModel):
    """A survey round (e.g. 2026 北京市公民科学素质调查), run by the city office.

    A historic round carries only its published headline figure (``recorded_rate``), so
    that the trend across rounds shows rounds held before the platform existed.
    """

    name = models.CharField(_("name"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year"))
    owner = models.ForeignKey("orgs.Organization", verbose_name=_("run by"), on_delete=models.PROTECT, related_name="+")
    bank = models.ForeignKey(
        QuestionBank,
        verbose_name=_("question bank"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    rule = models.CharField(
        _("scoring rule"), max_length=20, choices=ScoringRuleChoice.choices, default=ScoringRuleChoice.CURRENT
    )
    status = models.CharField(
        _("status"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT, db_index=True
    )
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    show_score = models.BooleanField(_("respondents see their score"), default=False)
    target_rate = models.FloatField(
        _("target literacy rate"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    recorded_rate = models.FloatField(
        _("recorded literacy rate"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-year", "-pk"]

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.DRAFT

    @property
    def is_historic(self) -> bool:
        """A recorded figure of an earlier survey, not a round run here."""
        return self.status == RoundStatus.HISTORIC


class Stratum(models.Model):
    """A stratum of the first sampling stage, e.g. 大兴区 · 城镇 (district × urban/rural)."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="strata")
    code = models.CharField(_("code"), max_length=40)
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    area = models.CharField(_("urban/rural"), max_length=8, choices=Area.choices)
    psu_population = models.PositiveIntegerField(
        _("streets in the population"),
        null=True,
        blank=True,
        help_text=_("Number of streets/towns in this stratum's population, for the finite population correction."),
    )
    quota = models.PositiveIntegerField(_("quota (respondents)"), default=0)

    class Meta:
        verbose_name = _("stratum")
        verbose_name_plural = _("strata")
        ordering = ["round", "code"]
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="survey_stratum_unique_code")]

    def __str__(self):
        return f"{self.district.name} · {self.get_area_display()}"


class SampledStreet(models.Model):
    """A primary sampling unit (PSU): a street or town drawn in a stratum."""

    stratum = models.ForeignKey(Stratum, verbose_name=_("stratum"), on_delete=models.CASCADE, related_name="streets")
    place = models.ForeignKey("places.Place", verbose_name=_("street/town"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("sampled street")
        verbose_name_plural = _("sampled streets")
        constraints = [models.UniqueConstraint(fields=["stratum", "place"], name="survey_psu_unique_place")]

    def __str__(self):
        return self.place.name


class SampledCommunity(models.Model):
    """A secondary sampling unit (SSU): a community drawn in a sampled street, with its base weight."""

    street = models.ForeignKey(
        SampledStreet, verbose_name=_("sampled street"), on_delete=models.CASCADE, related_name="communities"
    )
    place = models.ForeignKey(
        "places.Place", verbose_name=_("community/village"), on_delete=models.PROTECT, related_name="+"
    )
    # Denormalized so that a resident's community finds its round sample in one query.
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+", editable=False)
    base_weight = models.FloatField(
        _("base weight"),
        validators=[MinValueValidator(0)],
        help_text=_("Residents represented by each respondent (inverse inclusion probability)."),
    )

    class Meta:
        verbose_name = _("sampled community")
        verbose_name_plural = _("sampled communities")
        constraints = [models.UniqueConstraint(fields=["round", "place"], name="survey_ssu_unique_place")]

    def __str__(self):
        return self.place.name

    def save(self, *args, **kwargs):
        self.round_id = self.street.stratum.round_id
        super().save(*args, **kwargs)


class MarginVariable(models.TextChoices):
    """Population margins the weights are raked to; names are columns of the engine's data."""

    DISTRICT_SEX = "district*sex", _("District × sex")
    AGE_GROUP = "age_group", _("Age group")
    EDUCATION = "education", _("Education")
    AREA = "area", _("Urban/rural")
    SEX = "sex", _("Sex")
    DISTRICT = "district", _("District")


class PopulationMargin(models.Model):
    """One cell of a population margin: e.g. ``district*sex`` = ``110115|female`` → 1,032,000."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="margins")
    variable = models.CharField(_("variable"), max_length=30, choices=MarginVariable.choices)
    level = models.CharField(pgettext_lazy("category", "level"), max_length=60)
    total = models.FloatField(_("population"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("population margin")
        verbose_name_plural = _("population margins")
        ordering = ["round", "variable", "level"]
        constraints = [models.UniqueConstraint(fields=["round", "variable", "level"], name="survey_margin_unique_cell")]

    def __str__(self):
        return f"{self.variable}={self.level}: {self.total:.0f}"

    @property
    def level_display(self) -> str:
        """The level in words: "110115|female" reads 110115 · 女 (codes of sex, education and area named)."""
        names = {**dict(Sex.choices), **dict(Education.choices), **dict(Area.choices)}
        return " · ".join(str(names.get(part, part)) for part in self.level.split("|"))


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    ON_HOLD = "on_hold", _("On hold")


class Response(TimeStampedModel):
    """One respondent's questionnaire in a round, filled by themself or by an interviewer.

    ``place`` is the respondent's community; it must be one of the round's sampled
    communities (``unit``), which gives the stratum, PSU and base weight.
    """

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="responses")
    unit = models.ForeignKey(
        SampledCommunity, verbose_name=_("sampled community"), on_delete=models.PROTECT, related_name="responses"
    )
    place = models.ForeignKey(
        "places.Place", verbose_name=_("community/village"), on_delete=models.PROTECT, related_name="+"
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("respondent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_interviews",
    )
    respondent_label = models.CharField(_("respondent (as noted by the interviewer)"), max_length=50, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age = models.PositiveSmallIntegerField(
        _("age"), validators=[MinValueValidator(MIN_AGE), MaxValueValidator(MAX_AGE)]
    )
    education = models.CharField(_("education"), max_length=16, choices=Education.choices)
    area = models.CharField(_("urban/rural"), max_length=8, choices=Area.choices)
    key_population = models.CharField(_("key population"), max_length=12, choices=KeyPopulation.choices, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("current question"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Written by the scoring job.
    total_score = models.FloatField(_("score"), null=True, blank=True)
    dimension_scores = models.JSONField(_("scores by dimension"), default=dict, blank=True)
    literate = models.BooleanField(_("scientifically literate"), null=True, blank=True)
    scored_rule = models.CharField(_("scored with"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A resident answers a round once; interviewer entries without an account are many.
            models.UniqueConstraint(
                fields=["round", "respondent"],
                condition=models.Q(respondent__isnull=False),
                name="survey_one_response_per_resident",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self):
        return f"#{self.pk} {self.round}"

    @property
    def is_in_progress(self) -> bool:
        return self.status == ResponseStatus.IN_PROGRESS

    @property
    def age_group(self) -> str:
        return age_group(self.age)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class EstimationRun(TimeStampedModel):
    """One run of scoring and estimation for a round; its estimates are the round's results."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rule = models.CharField(_("scoring rule"), max_length=20, blank=True)
    respondents = models.PositiveIntegerField(_("respondents"), default=0)
    calibrated = models.BooleanField(_("raked to population margins"), default=False)
    summary = models.JSONField(_("design and calibration"), default=dict, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("estimation run")
        verbose_name_plural = _("estimation runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.round} · {self.get_status_display()}"

    @property
    def is_done(self) -> bool:
        return self.status == RunStatus.DONE


class GroupKind(models.TextChoices):
    CITY = "city", _("Whole city")
    DISTRICT = "district", _("District")
    SEX = "sex", _("Sex")
    AGE_GROUP = "age_group", _("Age group")
    EDUCATION = "education", _("Education")
    AREA = "area", _("Urban/rural")
    KEY_POPULATION = "key_population", _("Key population")


class LiteracyEstimate(models.Model):
    """The estimated share of literate residents in one group, with its uncertainty."""

    run = models.ForeignKey(EstimationRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="estimates")
    kind = models.CharField(_("group"), max_length=16, choices=GroupKind.choices)
    level = models.CharField(pgettext_lazy("category", "level"), max_length=40, blank=True)
    label = models.CharField(_("label"), max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    estimate = models.FloatField(_("literacy rate"))
    # Empty where the engine cannot give one (e.g. a group with a single street, or a rate of 0 or 1).
    se = models.FloatField(_("standard error"), null=True, blank=True)
    ci_low = models.FloatField(_("95% CI low"), null=True, blank=True)
    ci_high = models.FloatField(_("95% CI high"), null=True, blank=True)
    df = models.IntegerField(_("degrees of freedom"))
    n = models.PositiveIntegerField(_("respondents"))
    weighted_n = models.FloatField(_("estimated population"))
    deff = models.FloatField(_("design effect"), null=True, blank=True)

    class Meta:
        verbose_name = _("literacy estimate")
        verbose_name_plural = _("literacy estimates")
        ordering = ["run", "kind", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "level"], name="survey_estimate_unique")]

    def __str__(self):
        return f"{self.label}: {self.estimate:.2%}"
