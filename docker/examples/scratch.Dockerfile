# A FROM-scratch image: vigil is PID 1 and the health probe, busybox's httpd
# is the app. No shell, no curl, no libc: two static files and the content.
#
# Build context: docker/examples/ (build vigil:0.1.0 first: docker/Dockerfile).
#   docker build -f docker/examples/scratch.Dockerfile -t vigil-example:0.1.0 docker/examples
# kubernetes.yaml runs that tag.
# The app is busybox's static binary: the stage `app` takes it from an image;
# to use Debian's busybox-static instead, hand over a directory holding it:
#   docker build --build-context app=DIR ...   (DIR/bin/busybox)

ARG VIGIL_IMAGE=vigil:0.1.0
ARG APP_IMAGE=busybox:1.36.1-musl
FROM ${VIGIL_IMAGE} AS vigil
FROM ${APP_IMAGE} AS app

FROM scratch
COPY --from=vigil /vigil /vigil
COPY --from=app /bin/busybox /bin/busybox
COPY www /www
# Nobody: the app needs no privilege, and neither does vigil.
USER 65534:65534
EXPOSE 8080
# Exec form: vigil is PID 1, so `docker stop` reaches it and it forwards.
ENTRYPOINT ["/vigil", "--"]
CMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
# vigil's own deadline (2s) ends inside the runtime's (3s), so a slow app
# is reported with its target and time instead of being killed mid-probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/vigil", "check", "--timeout", "2s", "--quiet", "http://127.0.0.1:8080/"]
