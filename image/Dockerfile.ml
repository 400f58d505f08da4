# The ml variant of the litecode sandbox for machines with a registry and PyPI: image/Dockerfile plus
# numpy, pandas, scikit-learn and matplotlib (the offline build, scripts/build-image.sh --ml, uses
# Debian's python3-numpy, python3-pandas, python3-sklearn and python3-matplotlib instead).
#   docker build -f image/Dockerfile.ml -t litecode-sandbox-ml:0.1.0 image/
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG LITECODE_VERSION=0.1.0

USER root
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends git diffutils; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/* /usr/share/man/* /usr/share/info/*; \
    find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete; \
    groupadd --gid 1000 sandbox; \
    useradd --uid 1000 --gid 1000 --home-dir /home/sandbox --create-home --shell /bin/bash sandbox; \
    install -d -m 0755 -o 1000 -g 1000 /workspace; \
    printf '[safe]\n\tdirectory = /workspace\n\tdirectory = /workspace/*\n' >/etc/gitconfig
RUN python3 -m pip install --no-cache-dir numpy pandas scikit-learn matplotlib \
    && python3 -c 'import numpy, pandas, sklearn, matplotlib'

LABEL litecode.source=dockerfile \
      litecode.variant=ml \
      litecode.version=${LITECODE_VERSION} \
      org.opencontainers.image.title=litecode-sandbox-ml
ENV HOME=/home/sandbox LANG=C.UTF-8 MPLBACKEND=Agg MPLCONFIGDIR=/tmp/matplotlib
USER 1000:1000
WORKDIR /workspace
CMD ["python3"]
