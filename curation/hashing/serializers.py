"""API shapes of hashing: a signature as the API shows it, and `POST hash/`."""

from __future__ import annotations

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


class HashOutput(serializers.Serializer):
    media_type = serializers.CharField()
    signatures = SignatureOutput(many=True)


class HashInput(serializers.Serializer):
    file = serializers.FileField()
