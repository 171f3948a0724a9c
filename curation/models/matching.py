"""What partners' matching leaves behind (DESIGN.md section 9): sightings."""

from __future__ import annotations

from django.db import models


class Sighting(models.Model):
    """One distinct value a partner organisation matched to a listed item on one UTC day. An item's
    sightings for a day and organisation are the number of these rows; queries that matched
    nothing leave nothing. Kept for BASELINE_SIGHTING_RETENTION_DAYS."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    item = models.ForeignKey("curation.Submission", on_delete=models.CASCADE, related_name="sightings")
    algorithm = models.CharField(max_length=20)
    value_digest = models.CharField(max_length=64, help_text="SHA-256 of the matched query's canonical value.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "day", "item", "algorithm", "value_digest"],
                                               name="sighting_once_a_day")]
        indexes = [models.Index(fields=["item", "day"], name="sighting_item_day"),
                   models.Index(fields=["day"], name="sighting_day")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day} {self.item_id}"
