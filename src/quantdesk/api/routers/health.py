"""Placeholder until this area's endpoints land."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])
