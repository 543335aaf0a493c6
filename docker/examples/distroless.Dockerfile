# A distroless-style image: the same app on gcr.io/distroless/static (no
# shell, but /etc/passwd with nobody, CA certificates and tzdata).
#
# Build context: docker/examples/ (build vigil:0.1.0 first: docker/Dockerfile).
#   docker build -f docker/examples/distroless.Dockerfile -t vigil-example:0.1.0-distroless docker/examples
# Pin the base by digest for reproducible builds: static-debian12@sha256:...

ARG VIGIL_IMAGE=vigil:0.1.0
ARG APP_IMAGE=busybox:1.36.1-musl
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot
FROM ${VIGIL_IMAGE} AS vigil
FROM ${APP_IMAGE} AS app

FROM ${BASE_IMAGE}
COPY --from=vigil /vigil /vigil
COPY --from=app /bin/busybox /bin/busybox
COPY www /www
# nobody (65534) is in distroless's /etc/passwd; numeric so Kubernetes'
# runAsNonRoot can verify it without reading the image's passwd.
USER 65534:65534
# The probe's target, read by `vigil check` itself (there is no shell):
# `docker run -e VIGIL_CHECK=...` points the HEALTHCHECK elsewhere without a
# rebuild. It steers the probe only: the app's port is in CMD.
ENV VIGIL_GRACE=5s \
    VIGIL_CHECK=http://127.0.0.1:8080/
EXPOSE 8080
ENTRYPOINT ["/vigil", "--"]
CMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/vigil", "check", "--timeout", "2s", "--quiet"]
