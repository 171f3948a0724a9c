"""API shapes of hashing: a signature as the API shows it, and `POST hash/`."""

from __future__ import annotations

from baseline_client.hashing.video import MAX_SECONDS_PER_HASH
from rest_framework import serializers


class SignatureOutput(serializers.Serializer):
    algorithm = serializers.CharField()
    value = serializers.CharField()
    quality = serializers.IntegerField(required=False)

    def to_representation(self, instance):
        data = {"algorithm": instance.algorithm, "value": instance.value}
        if instance.quality is not None:
            data["quality"] = instance.quality
        return data


class VideoSummary(serializers.Serializer):
    frame_count = serializers.IntegerField(help_text="frames decoded")
    duration = serializers.FloatField(help_text="seconds")
    hashed_frames = serializers.IntegerField(help_text="frames in the vPDQ value")
    usable_frames = serializers.IntegerField(help_text="hashed frames of PDQ quality 50 or more")
    seconds_per_hash = serializers.FloatField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class HashOutput(serializers.Serializer):
    media_type = serializers.CharField()
    signatures = SignatureOutput(many=True)
    video = VideoSummary(required=False, help_text="videos only")


class HashInput(serializers.Serializer):
    file = serializers.FileField()
    seconds_per_hash = serializers.FloatField(
        required=False, default=1.0, min_value=0, max_value=MAX_SECONDS_PER_HASH,
        help_text="videos: one vPDQ frame per this many seconds of video time; 0 hashes every frame (what "
                  "Baseline recommends for listing, README 'Video fingerprints')",
    )
