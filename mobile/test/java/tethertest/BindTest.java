package tethertest;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import mobile.Client;
import mobile.Config;
import mobile.ErrorInfo;
import mobile.Handler;
import mobile.Message;
import mobile.Mobile;
import mobile.StateChange;

/**
 * End-to-end test of Tether's gobind Java bindings in a plain JVM, against real `tether serve` processes
 * (URLs in system properties, see jni-test.sh). Exits 0 when every check passed.
 */
public class BindTest {
    static int passed = 0, failed = 0;
    static final String ECHO = System.getProperty("tether.echo"), CHAT = System.getProperty("tether.chat"),
            SSE = System.getProperty("tether.sse"), POLL = System.getProperty("tether.poll"),
            TLS = System.getProperty("tether.tls"), CA = System.getProperty("tether.ca");

    /** Records callbacks; checks they never overlap and come from one thread that is not the caller's. */
    static final class Recorder implements Handler {
        final List<String> msgs = new ArrayList<>();
        final List<StateChange> states = new ArrayList<>();
        final List<ErrorInfo> errors = new ArrayList<>();
        final Set<String> threads = Collections.synchronizedSet(new HashSet<>());
        final AtomicInteger inside = new AtomicInteger(), overlaps = new AtomicInteger();

        private void enter() {
            if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
            threads.add(Thread.currentThread().getName());
        }

        @Override public void onMessage(Message m) {
            enter();
            String s = m.isBinary() ? "bin:" + hex(m.data()) : m.text();
            synchronized (this) { msgs.add(s); notifyAll(); }
            inside.decrementAndGet();
        }

        @Override public void onStateChange(StateChange s) {
            enter();
            synchronized (this) { states.add(s); notifyAll(); }
            inside.decrementAndGet();
        }

        @Override public void onError(ErrorInfo e) {
            enter();
            synchronized (this) { errors.add(e); notifyAll(); }
            inside.decrementAndGet();
        }

        interface Cond { boolean ok(); }

        synchronized void await(String what, Cond c) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!c.ok()) {
                long left = end - System.nanoTime();
                if (left <= 0) throw new AssertionError("timed out waiting for " + what + "; " + msgs.size() + " messages, states " + names());
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        synchronized StateChange awaitState(int from, long state) throws InterruptedException {
            StateChange[] got = new StateChange[1];
            await("state " + state, () -> {
                for (int i = from; i < states.size(); i++) {
                    if (states.get(i).state() == state) { got[0] = states.get(i); return true; }
                }
                return false;
            });
            return got[0];
        }

        synchronized int nStates() { return states.size(); }

        synchronized List<String> names() {
            List<String> out = new ArrayList<>();
            for (StateChange s : states) out.add(s.stateName());
            return out;
        }

        void checkThreads() {
            if (overlaps.get() != 0) throw new AssertionError(overlaps.get() + " callbacks overlapped");
            if (threads.size() != 1) throw new AssertionError("callbacks on threads " + threads);
            if (threads.contains(Thread.currentThread().getName())) throw new AssertionError("callback on the caller's thread");
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    interface Body { void run() throws Exception; }

    static void check(String name, Body b) {
        try {
            b.run();
            passed++;
            System.out.println("PASS " + name);
        } catch (Throwable t) {
            failed++;
            System.out.println("FAIL " + name + ": " + t);
            t.printStackTrace(System.out);
        }
    }

    static void eq(Object want, Object got) {
        if (!want.equals(got)) throw new AssertionError("want <" + want + "> got <" + got + ">");
    }

    static void contains(String s, String part) {
        if (s == null || !s.contains(part)) throw new AssertionError("<" + s + "> does not name <" + part + ">");
    }

    static Config fastConfig() throws Exception {
        Config cfg = Mobile.newConfig();
        cfg.setInitialBackoffMs(20);
        cfg.setMaxBackoffMs(200);
        return cfg;
    }

    static Client connect(String url, Config cfg, Recorder r) throws Exception {
        Client c = Mobile.newClient(url, cfg, r);
        c.connect();
        r.awaitState(0, Mobile.StateConnected);
        return c;
    }

    static void close(Client c) throws Exception {
        c.close();
        c.waitClosed(20000);
    }

    /** Text and binary both ways on the transport the server offers. */
    static void echoOver(String url, String transport) throws Exception {
        Recorder r = new Recorder();
        Client c = connect(url, fastConfig(), r);
        eq(transport, c.transport());
        String text = "h\u00e9llo \u4e16\u754c \uD83C\uDF0D";
        c.sendText(text);
        c.send(new byte[]{0, 1, (byte) 0xff});
        c.sendText("third");
        r.await("3 echoes", () -> r.msgs.size() == 3);
        eq(text, r.msgs.get(0));
        eq("bin:0001ff", r.msgs.get(1));
        eq("third", r.msgs.get(2));
        close(c);
        StateChange last = r.states.get(r.states.size() - 1);
        eq(Mobile.StateClosed, last.state());
        if (last.cause() != null) throw new AssertionError("closed with " + last.cause().message());
        r.checkThreads();
    }

    public static void main(String[] args) throws Exception {
        check("websocket: text and binary, callbacks in order on one Java thread", () -> echoOver(ECHO, "websocket"));
        check("server offering only sse: fallback, text and binary", () -> echoOver(SSE, "sse"));
        check("server offering only longpoll: fallback, text and binary", () -> echoOver(POLL, "longpoll"));

        check("errors as exceptions: bad settings", () -> {
            Config cfg = Mobile.newConfig();
            try { cfg.setTransports("websocket,pigeon"); throw new AssertionError("no exception"); }
            catch (Exception e) { contains(e.getMessage(), "websocket,pigeon"); }
            try { Mobile.newClient("ws://example.com/", cfg, new Recorder()); throw new AssertionError("no exception"); }
            catch (Exception e) { contains(e.getMessage(), "ws://"); }
            Client c = Mobile.newClient(ECHO, cfg, new Recorder());
            try { c.sendText("x"); throw new AssertionError("no exception"); }
            catch (Exception e) { contains(e.getMessage(), "not connected"); }
            close(c);
        });

        check("1000 messages from 4 Java threads, all echoed", () -> {
            Recorder r = new Recorder();
            Client c = connect(ECHO, fastConfig(), r);
            Thread[] ts = new Thread[4];
            List<Throwable> errs = Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < ts.length; t++) {
                final int id = t;
                ts[t] = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        try { c.sendText(id + "-" + i); } catch (Throwable e) { errs.add(e); return; }
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) t.join();
            if (!errs.isEmpty()) throw new AssertionError("send failed: " + errs.get(0));
            c.flush(20000);
            r.await("1000 echoes", () -> r.msgs.size() == 1000);
            int[] next = new int[4];
            for (String m : r.msgs) {
                String[] p = m.split("-");
                int id = Integer.parseInt(p[0]), i = Integer.parseInt(p[1]);
                eq(next[id], i);
                next[id]++;
            }
            close(c);
            r.checkThreads();
        });

        check("pause/resume: 500 messages sent by the server meanwhile, all received after resume, none twice", () -> {
            Recorder a = new Recorder(), b = new Recorder();
            Client ca = connect(CHAT, fastConfig(), a);
            Client cb = connect(CHAT, fastConfig(), b);
            ca.pause();
            a.awaitState(0, Mobile.StatePaused);
            for (int i = 0; i < 500; i++) cb.sendText("p" + i);
            cb.flush(20000);
            b.await("b's own 500", () -> b.msgs.size() == 500);
            synchronized (a) { eq(0, a.msgs.size()); }
            int from = a.nStates();
            ca.resume();
            StateChange st = a.awaitState(from, Mobile.StateConnected);
            if (!st.resumed()) throw new AssertionError("not resumed");
            cb.sendText("end");
            a.await("500 + end", () -> a.msgs.size() >= 501);
            synchronized (a) {
                eq(501, a.msgs.size());
                for (int i = 0; i < 500; i++) eq("p" + i, a.msgs.get(i));
                eq("end", a.msgs.get(500));
            }
            close(ca);
            close(cb);
            a.checkThreads();
        });

        check("network changed: reconnects now and resumes", () -> {
            Recorder r = new Recorder();
            Client c = connect(ECHO, fastConfig(), r);
            int from = r.nStates();
            c.networkChanged();
            StateChange d = r.awaitState(from, Mobile.StateDisconnected);
            eq(Mobile.ClassNetChanged, d.cause().errorClass());
            if (!r.awaitState(from, Mobile.StateConnected).resumed()) throw new AssertionError("not resumed");
            c.sendText("still here");
            r.await("echo", () -> r.msgs.size() == 1);
            close(c);
        });

        check("TLS with the app's CA; a wrong pin is an exception naming the pin", () -> {
            byte[] ca = Files.readAllBytes(Paths.get(CA));
            Config good = fastConfig();
            good.addCAPEM(ca);
            Recorder r = new Recorder();
            Client c = connect(TLS, good, r);
            c.sendText("over tls");
            r.await("echo", () -> r.msgs.size() == 1);
            close(c);

            String pin = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
            Config bad = fastConfig();
            bad.addCAPEM(ca);
            bad.addPin("", pin);
            Recorder r2 = new Recorder();
            Client c2 = Mobile.newClient(TLS, bad, r2);
            try { c2.connect(); throw new AssertionError("connected despite a wrong pin"); }
            catch (Exception e) { contains(e.getMessage(), pin); }
            StateChange st = r2.awaitState(0, Mobile.StateClosed);
            eq(Mobile.ClassTLS, st.cause().errorClass());
            if (!st.cause().fatal()) throw new AssertionError("pin failure not fatal");
            close(c2);
        });

        check("a 407 proxy is an exception naming the proxy", () -> {
            try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
                Thread proxy = new Thread(() -> {
                    while (!ss.isClosed()) {
                        try (Socket s = ss.accept()) {
                            InputStream in = s.getInputStream();
                            byte[] buf = new byte[4096];
                            int n = 0;
                            while (n < 4 || !new String(buf, 0, n, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                                int k = in.read(buf, n, buf.length - n);
                                if (k < 0) break;
                                n += k;
                            }
                            OutputStream out = s.getOutputStream();
                            out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                                    + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                            out.flush();
                        } catch (Exception e) { /* closed */ }
                    }
                });
                proxy.setDaemon(true);
                proxy.start();
                String proxyURL = "http://127.0.0.1:" + ss.getLocalPort();
                Config cfg = fastConfig();
                cfg.setProxyURL(proxyURL);
                cfg.addCAPEM(Files.readAllBytes(Paths.get(CA)));
                Recorder r = new Recorder();
                Client c = Mobile.newClient(TLS, cfg, r);
                try { c.connect(); throw new AssertionError("connected through a 407 proxy"); }
                catch (Exception e) { contains(e.getMessage(), "127.0.0.1:" + ss.getLocalPort()); contains(e.getMessage(), "407"); }
                eq(Mobile.ClassProxy, r.awaitState(0, Mobile.StateClosed).cause().errorClass());
                close(c);
            }
        });

        check("100 clients created and closed: their handlers are collected (no global refs leaked)", () -> {
            List<WeakReference<Recorder>> refs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Recorder r = new Recorder();
                refs.add(new WeakReference<>(r));
                Client c = connect(ECHO, fastConfig(), r);
                c.sendText("hi " + i);
                r.await("echo", () -> r.msgs.size() == 1);
                close(c);
            }
            int alive = 0;
            for (int round = 0; round < 50; round++) {
                System.gc();
                Mobile.releaseMemory();
                System.gc();
                alive = 0;
                for (WeakReference<Recorder> w : refs) if (w.get() != null) alive++;
                if (alive == 0) break;
                Thread.sleep(100);
            }
            eq(0, alive);
        });

        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
