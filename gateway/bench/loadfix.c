/* loadfix: the sustained-load bench's FIX load generator and ack venue, in C, so that neither is
 * the bottleneck (make bench-load; gateway/bench/loadfix.py builds it with gcc on first use).
 *
 *   loadfix venue NAME                    a FIX 4.4 acceptor on 127.0.0.1 (a free port, printed as
 *                                         "listening NAME 127.0.0.1:PORT"): every NewOrderSingle is
 *                                         answered by one ExecutionReport filling it at its price
 *                                         (what `fix-acceptor --app ack` does); stops on SIGTERM.
 *   loadfix client PORT RATE SECONDS TICK_US DRAIN_S MAX_DRAIN_S VENUES RTT_FILE NAME...
 *                                         one session per NAME to the gateway on PORT; each sends
 *                                         RATE NewOrderSingles a second for SECONDS (a timerfd tick of
 *                                         TICK_US; orders alternate over the comma-separated VENUES by
 *                                         ExDestination), then waits for the answers while they come
 *                                         (until DRAIN_S pass without one, MAX_DRAIN_S at most).
 *                                         Prints one JSON line of counts; round trips (ns, uint64)
 *                                         go to RTT_FILE.
 *
 * Both are real FIX sessions: Logon (ResetSeqNumFlag), MsgSeqNum out and checked in, BodyLength
 * and CheckSum written and checked on every frame, Heartbeat at the interval and in answer to a
 * TestRequest, Logout at the end; a message the venue does not take gets BusinessMessageReject.
 * No message store: neither side resends (a gap is counted and reported, and the run then fails).
 *
 * Nothing is dropped: a connection whose output the peer does not take stays buffered and is sent
 * when the socket is writable. While a session has more than OUT_PAUSE bytes unsent, the generator
 * makes no new orders for it (counted as "deferred": the gateway pushed back through TCP). The
 * venue keeps reading whatever it has to send.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define OUT_PAUSE (256 * 1024)
#define MAX_FRAME 8192
#define SOH '\001'

static void die(const char *what) { perror(what); exit(2); }

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* SendingTime, UTC to the millisecond; rendered again only when the millisecond changes. */
static char now_text[80];
static void fix_now(void) {
    static long long last_ms = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (ms == last_ms) return;
    last_ms = ms;
    struct tm tm;
    time_t sec = ts.tv_sec;
    gmtime_r(&sec, &tm);
    snprintf(now_text, sizeof now_text, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

typedef struct { char *p; size_t n, cap, off; } Buf;   /* off: bytes already consumed / sent */

static void reserve(Buf *b, size_t more) {
    if (b->n + more <= b->cap) return;
    if (b->off) {                                       /* slide down what is left first */
        memmove(b->p, b->p + b->off, b->n - b->off);
        b->n -= b->off;
        b->off = 0;
        if (b->n + more <= b->cap) return;
    }
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->n + more) cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p) die("realloc");
    b->cap = cap;
}

typedef struct {
    int fd;
    char sender[64], target[64];
    long long out_seq, in_seq;       /* the next MsgSeqNum to send, the next one expected */
    int logged_on, closed, want_out, paused_in;
    int heartbeat_s;
    uint64_t last_out, last_in;
    Buf in, out;
    /* client side */
    int index;
    long long made;                  /* orders made (ClOrdID numbers 1..made) */
    uint64_t *sent_ns;               /* per ClOrdID number: when its write began (0: never sent) */
    unsigned char *answered;
    long long cap_orders;
} Conn;

static struct {
    long long orders, answered, dup, unknown, rejected, garbled, gaps, session_rejects, logouts, deferred,
              business_rejects, other;
} st;

/* One message: "8=FIX.4.4|9=len|" + 35, 34, 49, 52, 56 + body + "10=sum|", appended to c->out. */
static void send_msg(Conn *c, const char *type, const char *body, size_t body_n) {
    char head[256];
    fix_now();
    int hn = snprintf(head, sizeof head, "35=%s\00134=%lld\00149=%s\00152=%s\00156=%s\001", type, c->out_seq++,
                      c->sender, now_text, c->target);
    char pre[32];
    int pn = snprintf(pre, sizeof pre, "8=FIX.4.4\0019=%zu\001", (size_t)hn + body_n);
    reserve(&c->out, (size_t)pn + hn + body_n + 8);
    char *w = c->out.p + c->out.n;
    memcpy(w, pre, pn);
    memcpy(w + pn, head, hn);
    memcpy(w + pn + hn, body, body_n);
    size_t len = (size_t)pn + hn + body_n;
    unsigned sum = 0;
    for (size_t k = 0; k < len; k++) sum += (unsigned char)w[k];
    len += snprintf(w + len, 8, "10=%03u\001", sum & 0xFF);
    c->out.n += len;
    c->last_out = mono_ns();
}

static int epfd;

static void watch(Conn *c) {
    struct epoll_event ev = {.events = (c->paused_in ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
}

/* Write what is buffered; what the kernel does not take waits for EPOLLOUT. */
static void flush_out(Conn *c) {
    while (c->out.off < c->out.n) {
        ssize_t k = send(c->fd, c->out.p + c->out.off, c->out.n - c->out.off, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            c->closed = 1;
            return;
        }
        c->out.off += (size_t)k;
    }
    if (c->out.off == c->out.n) c->out.off = c->out.n = 0;
    int want = c->out.n > c->out.off;
    if (want != c->want_out) {
        c->want_out = want;
        watch(c);
    }
}

static size_t pending_out(const Conn *c) { return c->out.n - c->out.off; }

/* The fields of one frame a side acts on. */
typedef struct {
    const char *type, *cl, *sym, *side, *qty, *px, *test_req, *reset, *gap_fill, *new_seq, *status, *hb;
    int type_n, cl_n, sym_n, side_n, qty_n, px_n, test_req_n;
    long long seq;
    int poss_dup;
} Msg;

static long long num(const char *s, const char *end) {
    long long v = 0;
    if (s == end) return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static void fields(const char *p, const char *end, Msg *m) {
    memset(m, 0, sizeof *m);
    m->seq = -1;
    while (p < end) {
        const char *eq = memchr(p, '=', end - p);
        if (!eq) break;
        const char *v = eq + 1, *e = memchr(v, SOH, end - v);
        if (!e) break;
        long long tag = num(p, eq);
        int n = (int)(e - v);
        switch (tag) {
        case 35: m->type = v; m->type_n = n; break;
        case 34: m->seq = num(v, e); break;
        case 11: m->cl = v; m->cl_n = n; break;
        case 55: m->sym = v; m->sym_n = n; break;
        case 54: m->side = v; m->side_n = n; break;
        case 38: m->qty = v; m->qty_n = n; break;
        case 44: m->px = v; m->px_n = n; break;
        case 112: m->test_req = v; m->test_req_n = n; break;
        case 141: m->reset = v; break;
        case 123: m->gap_fill = v; break;
        case 36: m->new_seq = v; break;
        case 39: m->status = v; break;
        case 108: m->hb = v; break;
        case 43: m->poss_dup = *v == 'Y'; break;
        }
        p = e + 1;
    }
}

static int is_type(const Msg *m, const char *t) {
    return m->type && m->type_n == (int)strlen(t) && memcmp(m->type, t, m->type_n) == 0;
}

typedef void (*Handler)(Conn *c, Msg *m);

/* Every complete frame in c->in: framing, BodyLength and CheckSum checked, MsgSeqNum checked. */
static void parse(Conn *c, Handler on_msg) {
    Buf *b = &c->in;
    for (;;) {
        char *p = b->p + b->off, *end = b->p + b->n;
        if (end - p < 20) break;
        if (memcmp(p, "8=FIX", 5) != 0) {
            char *next = memmem(p + 1, end - p - 1, "8=FIX", 5);
            st.garbled++;
            b->off = next ? (size_t)(next - b->p) : b->n;
            continue;
        }
        char *l = memmem(p, end - p < 32 ? end - p : 32, "\0019=", 3);
        if (!l) { if (end - p > 32) { st.garbled++; b->off++; continue; } break; }
        char *ls = l + 3, *le = memchr(ls, SOH, end - ls);
        if (!le) break;
        long long body = num(ls, le);
        char *body_start = le + 1;
        if (body <= 0 || body > MAX_FRAME) { st.garbled++; b->off++; continue; }
        if (end - body_start < body + 7) break;
        char *trailer = body_start + body;
        unsigned sum = 0;
        for (char *q = p; q < trailer; q++) sum += (unsigned char)*q;
        sum &= 0xFF;
        if (memcmp(trailer, "10=", 3) != 0 || trailer[6] != SOH || num(trailer + 3, trailer + 6) != (long long)sum) {
            st.garbled++;
            b->off++;
            continue;
        }
        b->off = (size_t)(trailer + 7 - b->p);
        Msg m;
        fields(body_start, trailer, &m);
        if (m.reset && *m.reset == 'Y' && is_type(&m, "A")) c->in_seq = m.seq;
        if (is_type(&m, "4") && m.new_seq) {          /* SequenceReset: the next number is NewSeqNo */
            const char *e = memchr(m.new_seq, SOH, trailer + 1 - m.new_seq);
            c->in_seq = num(m.new_seq, e);
            continue;
        }
        if (m.seq != c->in_seq) {
            if (m.seq < c->in_seq && m.poss_dup) continue;  /* a resend of what we have */
            st.gaps++;
            fprintf(stderr, "loadfix %s: MsgSeqNum %lld, expected %lld\n", c->sender, m.seq, c->in_seq);
        }
        c->in_seq = m.seq + 1;
        c->last_in = mono_ns();
        on_msg(c, &m);
    }
    if (b->off == b->n) b->off = b->n = 0;
}

/* One read (epoll is level-triggered: more is read on the next turn, after this read's answers are
 * written: a peer that writes faster than we parse must not keep us reading for ever); 0 when the
 * peer closed. */
static int read_in(Conn *c, Handler on_msg) {
    reserve(&c->in, 65536);
    ssize_t k = recv(c->fd, c->in.p + c->in.n, 65536, 0);
    if (k > 0) {
        c->in.n += (size_t)k;
        parse(c, on_msg);
        return 1;
    }
    if (k == 0) return 0;
    return errno == EAGAIN || errno == EINTR;
}

static void admin(Conn *c, Msg *m) {
    if (is_type(m, "1")) {                             /* TestRequest: Heartbeat with its TestReqID */
        char body[160];
        int n = snprintf(body, sizeof body, "112=%.*s\001", m->test_req_n > 100 ? 100 : m->test_req_n,
                         m->test_req ? m->test_req : "");
        send_msg(c, "0", body, n);
    } else if (is_type(m, "5")) {
        st.logouts++;
        if (!c->closed) send_msg(c, "5", "", 0);
        c->closed = 1;
    } else if (is_type(m, "3")) {
        st.session_rejects++;
    }
}

static void heartbeats(Conn **conns, int n) {
    uint64_t now = mono_ns();
    for (int k = 0; k < n; k++) {
        Conn *c = conns[k];
        if (c && c->logged_on && !c->closed && now - c->last_out >= (uint64_t)c->heartbeat_s * 1000000000u) {
            send_msg(c, "0", "", 0);
            flush_out(c);
        }
    }
}

/* ------------------------------------------------------------------ venue */
static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }
static long long exec_no;

static void venue_msg(Conn *c, Msg *m) {
    if (is_type(m, "A")) {
        c->logged_on = 1;
        if (m->hb) c->heartbeat_s = atoi(m->hb) > 0 ? atoi(m->hb) : 30;
        if (m->reset && *m->reset == 'Y') c->out_seq = 1;
        char body[64];
        int n = snprintf(body, sizeof body, "98=0\001108=%d\001%s", c->heartbeat_s,
                         m->reset && *m->reset == 'Y' ? "141=Y\001" : "");
        send_msg(c, "A", body, n);
        return;
    }
    if (!c->logged_on) { c->closed = 1; return; }      /* anything before a Logon: disconnect */
    if (is_type(m, "D")) {
        st.orders++;
        long long id = ++exec_no;
        int pn = m->px ? m->px_n : 1;
        const char *px = m->px ? m->px : "0";
        char body[512];
        int n = snprintf(body, sizeof body,
                         "37=%lld\00111=%.*s\00117=%lld\001150=F\00139=2\00155=%.*s\00154=%.*s\00138=%.*s\001"
                         "32=%.*s\00131=%.*s\001151=0\00114=%.*s\0016=%.*s\001",
                         id, m->cl_n, m->cl, id, m->sym_n, m->sym, m->side_n, m->side, m->qty_n, m->qty,
                         m->qty_n, m->qty, pn, px, m->qty_n, m->qty, pn, px);
        if (n > 0 && n < (int)sizeof body && m->cl && m->sym && m->side && m->qty) {
            send_msg(c, "8", body, n);
            return;
        }
    }
    if (m->type && m->type_n == 1 && strchr("01245", m->type[0])) { admin(c, m); return; }
    st.business_rejects++;                             /* an application message this venue does not take */
    char body[160];
    int n = snprintf(body, sizeof body, "45=%lld\001372=%.*s\001380=3\00158=unsupported message type\001", m->seq,
                     m->type_n > 8 ? 8 : m->type_n, m->type ? m->type : "");
    send_msg(c, "j", body, n);
}

static int venue_main(const char *name) {
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0) die("listen");
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("listening %s 127.0.0.1:%d\n", name, ntohs(a.sin_port));
    fflush(stdout);
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, ls, &ev);
    enum { MAXC = 64 };
    Conn *conns[MAXC] = {0};
    while (!stopping) {
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, 200);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int k = 0; k < n; k++) {
            Conn *c = evs[k].data.ptr;
            if (c == NULL) {
                int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                if (fd < 0) continue;
                int slot = -1;
                for (int j = 0; j < MAXC; j++) if (!conns[j]) { slot = j; break; }
                if (slot < 0) { close(fd); continue; }
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                c = calloc(1, sizeof *c);
                c->fd = fd;
                c->out_seq = c->in_seq = 1;
                c->heartbeat_s = 30;
                snprintf(c->sender, sizeof c->sender, "%s", name);
                snprintf(c->target, sizeof c->target, "GW");
                c->last_in = c->last_out = mono_ns();
                conns[slot] = c;
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
                continue;
            }
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (!read_in(c, venue_msg)) c->closed = 1;
            }
            flush_out(c);
            /* (Reading goes on while reports wait to be sent, as a venue's does: a peer that stops
             * reading while it still sends is what the gateway disconnects, transport.md. What
             * waits here is bounded by the orders the gateway sent.) */
            if (c->closed) {
                for (int j = 0; j < MAXC; j++) if (conns[j] == c) conns[j] = NULL;
                close(c->fd);
                free(c->in.p); free(c->out.p); free(c);
            }
        }
        heartbeats(conns, MAXC);
    }
    fprintf(stderr, "loadfix venue %s: %lld orders filled, %lld garbled, %lld sequence gaps, %lld business rejects\n",
            name, st.orders, st.garbled, st.gaps, st.business_rejects);
    return 0;
}

/* ------------------------------------------------------------------ client */
static const char *prefix_of(const Conn *c) { return c->sender; }

static uint64_t *rtts;
static long long n_rtts, cap_rtts;
static uint64_t t_last_answer;

static void client_msg(Conn *c, Msg *m) {
    if (is_type(m, "A")) { c->logged_on = 1; return; }
    if (is_type(m, "8")) {
        /* ClOrdID = SENDER-number */
        size_t pl = strlen(prefix_of(c));
        long long k = -1;
        if (m->cl && m->cl_n > (int)pl + 1 && memcmp(m->cl, prefix_of(c), pl) == 0 && m->cl[pl] == '-')
            k = num(m->cl + pl + 1, m->cl + m->cl_n);
        if (k < 1 || k > c->made || !c->sent_ns[k]) { st.unknown++; return; }
        if (c->answered[k]) { st.dup++; return; }
        c->answered[k] = 1;
        st.answered++;
        if (m->status && *m->status == '8') st.rejected++;
        if (n_rtts == cap_rtts) {
            cap_rtts = cap_rtts ? cap_rtts * 2 : 1 << 20;
            rtts = realloc(rtts, cap_rtts * sizeof *rtts);
            if (!rtts) die("realloc");
        }
        t_last_answer = mono_ns();
        rtts[n_rtts++] = t_last_answer - c->sent_ns[k];
        return;
    }
    if (m->type && m->type_n == 1 && strchr("01235", m->type[0])) { admin(c, m); return; }
    st.other++;
}

static void make_orders(Conn *c, int n, char **venues, int n_venues) {
    if (n <= 0) return;
    if (pending_out(c) > OUT_PAUSE) { st.deferred += n; return; }   /* the gateway pushes back */
    for (int j = 0; j < n && c->made + 1 < c->cap_orders; j++) {
        long long k = ++c->made;
        char body[256];
        fix_now();
        int len = snprintf(body, sizeof body,
                           "11=%s-%lld\00155=AAPL\00154=1\00160=%s\00138=10\00140=2\00144=190.25\00159=0\001100=%s\001",
                           c->sender, k, now_text, venues[k % n_venues]);
        send_msg(c, "D", body, len);
        c->sent_ns[k] = mono_ns();
    }
}

static int client_main(int argc, char **argv) {
    if (argc < 9) {                                  /* 8 arguments and at least one NAME */
        fprintf(stderr, "usage: loadfix client PORT RATE SECONDS TICK_US DRAIN_S MAX_DRAIN_S VENUES RTT_FILE NAME...\n");
        return 2;
    }
    int port = atoi(argv[0]);
    double rate = atof(argv[1]), seconds = atof(argv[2]);
    long tick_us = atol(argv[3]);
    double drain_s = atof(argv[4]), max_drain_s = atof(argv[5]);
    char *venue_list = strdup(argv[6]), *venues[16];
    int n_venues = 0;
    for (char *t = strtok(venue_list, ","); t && n_venues < 16; t = strtok(NULL, ",")) venues[n_venues++] = t;
    const char *rtt_path = argv[7];
    int n = argc - 8;
    if (rate <= 0 || seconds <= 0 || tick_us < 100 || n_venues == 0) {
        fprintf(stderr, "loadfix client: RATE and SECONDS must be > 0, TICK_US >= 100, VENUES not empty\n");
        return 2;
    }
    epfd = epoll_create1(0);
    Conn **conns = calloc(n, sizeof *conns);
    long long cap = (long long)(rate * seconds) + 16;
    int one = 1;
    for (int k = 0; k < n; k++) {
        Conn *c = conns[k] = calloc(1, sizeof *c);
        c->index = k;
        c->out_seq = c->in_seq = 1;
        c->heartbeat_s = 30;
        c->cap_orders = cap;
        c->sent_ns = calloc(cap, sizeof *c->sent_ns);
        c->answered = calloc(cap, 1);
        if (!c->sent_ns || !c->answered) die("calloc");
        snprintf(c->sender, sizeof c->sender, "%s", argv[8 + k]);
        snprintf(c->target, sizeof c->target, "GW");
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
        send_msg(c, "A", "98=0\001108=30\001141=Y\001", strlen("98=0\001108=30\001141=Y\001"));
        flush_out(c);
    }
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev);
    uint64_t t_logon = mono_ns(), t_start = 0, t_end_send = 0, t_deadline = 0;
    long long ticks = 0, total_ticks = (long long)(seconds * 1e6 / tick_us);
    int phase = 0, all_in = 0;                         /* 0 logon, 1 sending, 2 draining, 3 done */
    long long answered_seen = -1;
    while (phase < 3) {
        struct epoll_event evs[64];
        int got = epoll_wait(epfd, evs, 64, 100);
        if (got < 0 && errno != EINTR) die("epoll_wait");
        for (int e = 0; e < got; e++) {
            Conn *c = evs[e].data.ptr;
            if (c == NULL) {                           /* the tick */
                uint64_t k;
                if (read(tfd, &k, sizeof k) != sizeof k) continue;
                for (uint64_t t = 0; t < k && ticks < total_ticks; t++, ticks++) {
                    /* orders due this tick: the whole-number schedule's step (no float drift) */
                    int due = (int)((long long)(rate * (ticks + 1) * tick_us / 1e6 + 1e-6) -
                                    (long long)(rate * ticks * tick_us / 1e6 + 1e-6));
                    for (int s = 0; s < n; s++) make_orders(conns[s], due, venues, n_venues);
                }
                for (int s = 0; s < n; s++) flush_out(conns[s]);   /* one write a session a tick */
                continue;
            }
            if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                if (!read_in(c, client_msg)) c->closed = 1;
            flush_out(c);
        }
        uint64_t now = mono_ns();
        if (phase == 0) {
            int all = 1;
            for (int s = 0; s < n; s++) all &= conns[s]->logged_on;
            if (all) {
                phase = 1;
                t_start = now;
                struct itimerspec its = {.it_interval = {tick_us / 1000000, (tick_us % 1000000) * 1000},
                                         .it_value = {tick_us / 1000000, (tick_us % 1000000) * 1000}};
                timerfd_settime(tfd, 0, &its, NULL);
            } else if (now - t_logon > 30000000000ull) {
                fprintf(stderr, "loadfix client: not every session logged on within 30 s\n");
                return 2;
            }
        } else if (phase == 1 && ticks >= total_ticks) {
            phase = 2;
            t_end_send = now;
            t_deadline = now + (uint64_t)(drain_s * 1e9);
            struct itimerspec off = {0};
            timerfd_settime(tfd, 0, &off, NULL);
        } else if (phase == 2) {
            /* Drained when every order is answered (then 0.2 s more: a late duplicate would arrive
             * now), or when DRAIN_S pass without an answer (the rest are lost): a gateway that is
             * behind but still answering is waited for, so "lost" means never answered. */
            long long sent = 0;
            for (int s = 0; s < n; s++) sent += conns[s]->made;
            if (st.answered != answered_seen) {
                answered_seen = st.answered;
                t_deadline = now + (uint64_t)(drain_s * 1e9);
            }
            if (st.answered >= sent && !all_in) {
                all_in = 1;
                t_deadline = now + 200000000ull;
            }
            if (now >= t_deadline || now - t_end_send > (uint64_t)(max_drain_s * 1e9)) phase = 3;
        }
        heartbeats(conns, n);
        for (int s = 0; s < n; s++)
            if (conns[s]->closed && phase < 3) {
                fprintf(stderr, "loadfix client: %s: the gateway closed the session\n", conns[s]->sender);
                phase = 3;
            }
    }
    long long sent = 0;
    for (int s = 0; s < n; s++) {
        sent += conns[s]->made;
        if (!conns[s]->closed) {
            send_msg(conns[s], "5", "", 0);
            flush_out(conns[s]);
        }
    }
    FILE *f = fopen(rtt_path, "wb");
    if (!f || fwrite(rtts, sizeof *rtts, n_rtts, f) != (size_t)n_rtts || fclose(f)) die(rtt_path);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("{\"sent\": %lld, \"answered\": %lld, \"duplicated\": %lld, \"unknown\": %lld, \"rejected\": %lld, "
           "\"deferred\": %lld, \"garbled\": %lld, \"seq_gaps\": %lld, \"session_rejects\": %lld, \"other\": %lld, "
           "\"send_s\": %.3f, \"answer_s\": %.3f, \"cpu_s\": %.3f, \"rtts\": %lld}\n",
           sent, st.answered, st.dup, st.unknown, st.rejected, st.deferred, st.garbled, st.gaps, st.session_rejects,
           st.other, (t_end_send - t_start) / 1e9, t_last_answer > t_start ? (t_last_answer - t_start) / 1e9 : 0.0,
           cpu, n_rtts);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "venue") == 0) return venue_main(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "client") == 0) return client_main(argc - 2, argv + 2);
    fprintf(stderr, "usage: loadfix venue NAME | loadfix client PORT RATE SECONDS TICK_US DRAIN_S MAX_DRAIN_S VENUES "
                    "RTT_FILE NAME...\n");
    return 2;
}
