#!/usr/bin/env bash
# End-to-end test of the real generated bindings without Android: gobind's Java + Go glue for ./mobile built as a
# linux JNI library (host gcc, the host JDK's jni.h, a stub <android/log.h>), driven from a plain JVM
# (mobile/test/java/tethertest/BindTest.java) against real `tether serve` processes built from ./cmd/tether.
# Needs: go, gcc, ar, a JDK >= 11 (javac, java). Usage: mobile/test/jni-test.sh   (make mobile)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
for tool in gcc ar javac java; do
  command -v "$tool" >/dev/null || { echo "jni-test: $tool is missing (apt-get install gcc openjdk-17-jdk-headless)" >&2; exit 1; }
done
W=$ROOT/mobile/_jnibuild
rm -rf "$W"; mkdir -p "$W/stub/c/android" "$W/stub/java/android/content" "$W/libs" "$W/classes" "$W/run"
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}

s0=$SECONDS
# 1. generate (and check that nothing was skipped)
bash mobile/test/gobind-check.sh "$W"

# 2. Go glue: drop the _android filename suffix so the files build for GOOS=linux (headers keep their names)
mkdir -p "$W/gobind"
cp "$W"/gen/src/gobind/*.go "$W"/gen/src/gobind/*.c "$W"/gen/src/gobind/*.h "$W/gobind/"
rm -f "$W"/gobind/*_darwin.* "$W"/gobind/*.objc.h "$W"/gobind/ref.h
for f in "$W"/gobind/*_android.go "$W"/gobind/*_android.c; do mv "$f" "${f/_android./_jni.}"; done

# 3. stubs: NDK <android/log.h> -> stderr; an empty liblog.a for `#cgo LDFLAGS: -llog`; android.content.Context
cat > "$W/stub/c/android/log.h" <<'H'
#pragma once
#include <stdarg.h>
#include <stdio.h>
enum { ANDROID_LOG_UNKNOWN, ANDROID_LOG_DEFAULT, ANDROID_LOG_VERBOSE, ANDROID_LOG_DEBUG,
       ANDROID_LOG_INFO, ANDROID_LOG_WARN, ANDROID_LOG_ERROR, ANDROID_LOG_FATAL, ANDROID_LOG_SILENT };
static inline __attribute__((unused, format(printf, 3, 4)))
int __android_log_print(int prio, const char *tag, const char *fmt, ...) {
  va_list ap; int n;
  va_start(ap, fmt); fprintf(stderr, "[%d/%s] ", prio, tag); n = vfprintf(stderr, fmt, ap); fputc('\n', stderr); va_end(ap);
  return n;
}
H
ar rcs "$W/stub/c/liblog.a"
printf 'package android.content;\npublic class Context {}\n' > "$W/stub/java/android/content/Context.java"

# 4. the JNI library. -Wno-incompatible-pointer-types: OpenJDK declares AttachCurrentThread(JavaVM*, void**, void*),
#    the NDK (JNIEnv**); seq_android.go has `#cgo CFLAGS: -Werror`.
CGO_ENABLED=1 \
CGO_CFLAGS="-O2 -I$JAVA_HOME/include -I$JAVA_HOME/include/linux -I$W/stub/c -D__GOBIND_ANDROID__ -Wno-incompatible-pointer-types" \
CGO_LDFLAGS="-L$W/stub/c" \
  go build -buildmode=c-shared -o "$W/libs/libgojni.so" ./mobile/_jnibuild/gobind

echo "jni-test: bindings generated and built in $((SECONDS - s0)) s"
# 5. the real server, several of them (each prints `listening on URL` on stderr)
go build -o "$W/tether" ./cmd/tether
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
serve() { # name, flags...
  local name=$1; shift
  "$W/tether" serve --listen 127.0.0.1:0 "$@" 2>"$W/run/$name.log" &
  PIDS+=($!)
}
serve echo --plaintext
serve chat --plaintext --mode chat
serve sse --plaintext --transports sse
serve poll --plaintext --transports longpoll
serve tls --self-signed "$W/run/certs"
url() { # name -> URL, once the server is up
  for _ in $(seq 1 100); do
    local u; u=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$W/run/$1.log")
    if [ -n "$u" ]; then echo "$u"; return; fi
    sleep 0.1
  done
  echo "jni-test: tether serve ($1) did not start:" >&2; cat "$W/run/$1.log" >&2; exit 1
}
ECHO=$(url echo) CHAT=$(url chat) SSE=$(url sse) POLL=$(url poll) TLS=$(url tls)

# 6. compile the generated Java + stub + the test, run it in a plain JVM (go.Seq loads libgojni.so)
javac -nowarn --release 8 -Xlint:-options -d "$W/classes" \
  $(find "$W/stub/java" "$W/gen/java" "$ROOT/mobile/test/java" -name '*.java')
timeout 300 java -Djava.library.path="$W/libs" -cp "$W/classes" \
  -Dtether.echo="$ECHO" -Dtether.chat="$CHAT" -Dtether.sse="$SSE" -Dtether.poll="$POLL" \
  -Dtether.tls="$TLS" -Dtether.ca="$W/run/certs/ca.pem" \
  tethertest.BindTest
