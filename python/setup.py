# A plain setup.py (no pyproject.toml): pip then builds it with the
# setuptools already installed, so `pip install ./python` works offline.
from setuptools import setup

setup(
    name="infercost",
    version="0.1.0",
    description="Python access to libinfercost: run, sweep and search LLM serving cost scenarios",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=["infercost"],
    python_requires=">=3.8",
    extras_require={"pandas": ["pandas"]},
)
