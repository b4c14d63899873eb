/* nscost: what the kernel alone costs for a labo-shaped lab, so the
 * benchmark can show where the kernel is the floor.
 *
 *   nscost [-p PREFIX] netns N   N x (unshare(CLONE_NEWNET) + bind mount on
 *                                /run/netns/NAME), then N x (umount + unlink):
 *                                the namespaces alone
 *   nscost [-p PREFIX] lab N     the whole lab labo builds, straight from C
 *                                with raw rtnetlink and no library: a switch
 *                                namespace with lo up and a bridge "lan" (up,
 *                                mtu 1500),
 *                                N host namespaces, per host a veth (switch
 *                                end hI-p enslaved and up, "eth0" in the host),
 *                                then in the host: address 10.200.x.y/16 on
 *                                eth0, eth0 up, lo up; then the teardown
 *                                (umount + unlink of every namespace, as
 *                                `ip netns del` does)
 *
 * "lab" sends one request at a time and waits for each answer: the plainest
 * way, a reference for the kernel's cost, not a strict lower bound. With IPv6
 * on (the default), the multicast every new link sends, flooded by the bridge
 * to every port, makes the cost grow as N^2 and depend on timing and order
 * (-6 shows the lab without it).
 *
 *   nscost -6 ...                the same with IPv6 disabled in every
 *                                namespace of the lab (see ipv6_off)
 *   nscost -k ...                build and keep (to inspect, or to time the
 *                                teardown apart), no teardown
 *   nscost [-p PREFIX] down N    the teardown alone, of what -k left
 *   nscost settle                wait until the kernel has finished destroying
 *                                every namespace released so far (see below)
 *
 * Output: one "key=value" per line, times in seconds (CLOCK_MONOTONIC):
 *   netns=  time spent creating namespaces (unshare, bind mount, and for
 *           "lab" the per-namespace netlink socket), of which
 *   ns_file=    creating the empty file /run/netns/NAME (the mount point)
 *   ns_unshare= unshare(CLONE_NEWNET): the kernel building the namespace
 *   ns_mount=   the bind mount
 *   veth=   creating the veth pairs (lab)
 *   addr=   in the host: address on eth0, eth0 up, lo up (lab)
 *   up=     the whole build, including the bridge
 *   down=   umount + unlink of every namespace: what `ip netns del` and labo
 *           down wait for
 *   settle= time from the end of "down" until the kernel has actually torn
 *           the namespaces and their devices down (it does so asynchronously,
 *           in its "netns" workqueue)
 *
 * How "settle" knows: the kernel destroys released namespaces in order, in
 * batches, from one ordered workqueue. We create a sentinel namespace with a
 * veth whose other end stays in the root namespace, release the sentinel last,
 * and wait for that root end to vanish: by then every namespace released
 * before it has had its devices removed (see settle() for the details). The
 * sentinel lives in /run/netns/nscsPID for a moment, its root end is nscsPID.
 *
 * Names: namespaces PREFIX (switch) and PREFIX.hI (hosts), default
 * PREFIX = "nsc<pid>"; the sentinel is "nscs<pid>".
 * Run as root. Everything it creates is removed before it exits, also on error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("nscost: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- minimal rtnetlink ---------------------------------------------- */

struct req {
	struct nlmsghdr *h;
	char buf[1024];
};

static struct nlmsghdr *req_init(struct req *r, int type, int flags, size_t hdrlen)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->h = (struct nlmsghdr *)r->buf;
	r->h->nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->h->nlmsg_type = (uint16_t)type;
	r->h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	return r->h;
}

static void *req_hdr(struct req *r)
{
	return NLMSG_DATA(r->h);
}

static struct rtattr *attr_put(struct req *r, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h->nlmsg_len));
	size_t need = NLMSG_ALIGN(r->h->nlmsg_len) + RTA_SPACE(len);
	if (need > sizeof(r->buf)) {
		die("netlink request too large");
		exit(1);
	}
	a->rta_type = (uint16_t)type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = (uint32_t)need;
	return a;
}

static struct rtattr *nest_start(struct req *r, int type)
{
	return attr_put(r, type, NULL, 0);
}

static void nest_end(struct req *r, struct rtattr *a)
{
	a->rta_len = (uint16_t)((r->buf + r->h->nlmsg_len) - (char *)a);
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one request and wait for its answer. Returns 0 or -errno. If ifindex
 * is not NULL and the kernel answers with a link, store its index there. */
static int nl_talk(int fd, struct req *r, int *ifindex)
{
	static uint32_t seq;
	r->h->nlmsg_seq = ++seq;
	if (send(fd, r->h, r->h->nlmsg_len, 0) < 0)
		return -errno;
	char buf[16384];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error;
			}
			if (h->nlmsg_type == RTM_NEWLINK && ifindex) {
				struct ifinfomsg *ifi = NLMSG_DATA(h);
				*ifindex = ifi->ifi_index;
			}
		}
	}
}

static int link_index(int fd, const char *name, int *ifindex)
{
	struct req r;
	req_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	((struct ifinfomsg *)req_hdr(&r))->ifi_family = AF_UNSPEC;
	attr_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	/* With NLM_F_ACK the kernel answers with the link, then an ack. */
	*ifindex = 0;
	return nl_talk(fd, &r, ifindex);
}

static int link_up(int fd, int ifindex)
{
	struct req r;
	req_init(&r, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = req_hdr(&r);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(fd, &r, NULL);
}

static int bridge_add(int fd, const char *name, uint32_t mtu)
{
	struct req r;
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = req_hdr(&r);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	attr_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	attr_put(&r, IFLA_MTU, &mtu, sizeof(mtu));
	struct rtattr *li = nest_start(&r, IFLA_LINKINFO);
	attr_put(&r, IFLA_INFO_KIND, "bridge", 7);
	nest_end(&r, li);
	return nl_talk(fd, &r, NULL);
}

/* veth: NAME (here, enslaved to master if > 0, up) <-> PEER in the namespace
 * peer_nsfd (down). The peer cannot be brought up in the same request: on
 * this kernel (6.18) that fails with ENOTCONN (veth_open runs before the two
 * ends are paired), as `ip link add ... type veth peer ... up` does. */
static int veth_add(int fd, const char *name, int master, const char *peer, int peer_nsfd)
{
	struct req r;
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = req_hdr(&r);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	attr_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (master > 0)
		attr_put(&r, IFLA_MASTER, &master, sizeof(master));
	struct rtattr *li = nest_start(&r, IFLA_LINKINFO);
	attr_put(&r, IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = nest_start(&r, IFLA_INFO_DATA);
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };
	struct rtattr *pe = attr_put(&r, VETH_INFO_PEER, &pi, sizeof(pi));
	attr_put(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	attr_put(&r, IFLA_NET_NS_FD, &peer_nsfd, sizeof(peer_nsfd));
	nest_end(&r, pe);
	nest_end(&r, data);
	nest_end(&r, li);
	return nl_talk(fd, &r, NULL);
}

static int addr_add(int fd, int ifindex, uint32_t addr_be, int plen)
{
	struct req r;
	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = req_hdr(&r);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = (unsigned)ifindex;
	attr_put(&r, IFA_LOCAL, &addr_be, 4);
	attr_put(&r, IFA_ADDRESS, &addr_be, 4);
	return nl_talk(fd, &r, NULL);
}

/* ---- named namespaces, as `ip netns add/del` make them --------------- */

static int root_nsfd = -1;
static int noipv6;  /* -6: disable IPv6 in every namespace of the lab */

/* With IPv6 on (the kernel's default), every interface that comes up sends
 * MLD reports, DAD neighbour solicitations and router solicitations to
 * multicast groups; the bridge floods each to every port, so a segment of N
 * hosts costs O(N^2) packets, handled in softirq and in workqueues that take
 * the RTNL lock the setup needs. -6 measures the lab without that: IPv6 is
 * disabled for the devices created afterwards (conf/default, set in each new
 * namespace before its links exist; lo keeps ::1, which sends nothing).
 * Setting conf/all too costs an IPv6 teardown of lo per namespace, for
 * nothing. */
static int ipv6_off(void)
{
	static const char *const files[] = {
		"/proc/sys/net/ipv6/conf/default/disable_ipv6",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		ssize_t w = write(fd, "1", 1);
		close(fd);
		if (w != 1)
			return -1;
	}
	return 0;
}

/* Make /run/netns a shared mount point, as iproute2 does, so the bind mounts
 * propagate to every mount namespace. */
static int netns_dir_ready(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -1;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -1;
	return mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL);
}

/* Create a new network namespace, pin it at /run/netns/NAME. The calling
 * thread is left inside the new namespace (so a socket opened now belongs to
 * it); *nsfd gets an fd on it if nsfd is not NULL. */
static double t_file, t_unshare, t_mount; /* netns_new's parts */

static int netns_new(const char *name, int *nsfd)
{
	char path[256];
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	double t0 = now();
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	close(fd);
	double t1 = now();
	if (unshare(CLONE_NEWNET) < 0)
		goto fail;
	double t2 = now();
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		goto fail;
	double t3 = now();
	t_file += t1 - t0;
	t_unshare += t2 - t1;
	t_mount += t3 - t2;
	/* /proc/sys/net shows the namespace of the thread that opens it */
	if (noipv6 && ipv6_off() < 0)
		return -1; /* mounted: the caller's teardown removes it */
	if (nsfd) {
		*nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (*nsfd < 0)
			return -1; /* mounted: the caller's teardown removes it */
	}
	return 0;
fail:;
	int e = errno;
	unlink(path);
	errno = e;
	return -1;
}

static int netns_del(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static int back_to_root(void)
{
	return setns(root_nsfd, CLONE_NEWNET);
}

/* ---- settle ----------------------------------------------------------- */

/* One sentinel: a namespace whose veth has its other end, NAME, in the root
 * namespace. If pin, the namespace is pinned by a bind mount in /run/netns
 * and released the way the labs are (lazy umount + unlink: the kernel may
 * drop such a mount's last reference later, from RCU work), else it is held
 * by an fd only and released by close(). Then wait until NAME vanishes. */
static int sentinel(int rootnl, const char *name, int pin)
{
	int sfd, err;
	if (pin) {
		if (netns_new(name, &sfd) < 0)
			return -1;
	} else {
		if (unshare(CLONE_NEWNET) < 0)
			return -1;
		sfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	}
	if (sfd < 0 || back_to_root() < 0) {
		if (pin)
			netns_del(name);
		return -1;
	}
	err = veth_add(rootnl, name, 0, "s", sfd);
	close(sfd);
	if (pin && netns_del(name) < 0)
		return -1;
	if (err < 0) {
		errno = -err;
		return -1;
	}
	double t0 = now();
	for (;;) {
		int idx;
		err = link_index(rootnl, name, &idx);
		if (err == -ENODEV)
			return 0;
		if (err < 0) {
			errno = -err;
			return -1;
		}
		if (now() - t0 > 120) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(500);
	}
}

/* The kernel destroys released namespaces from one ordered workqueue, in
 * batches: once a sentinel released after the lab has gone, so have the
 * lab's namespaces. Two sentinels, to be safe against the deferred mount
 * release: one released like the labs, then one released at once. */
static int settle(double *waited)
{
	char sname[IFNAMSIZ];
	double t0 = now();
	int rootnl = nl_open();
	if (rootnl < 0)
		return -1;
	snprintf(sname, sizeof(sname), "nscs%d", (int)getpid() % 10000000);
	int rc = sentinel(rootnl, sname, 1);
	if (rc == 0)
		rc = sentinel(rootnl, sname, 0);
	close(rootnl);
	*waited = now() - t0;
	return rc;
}

/* ---- the runs --------------------------------------------------------- */

static char prefix[64];
static int keep;    /* -k: leave the lab up (to inspect it), skip teardown */

static int first;   /* first name index in use: 0 (lab: switch) or 1 */
static int created; /* names first..created-1 exist; 1..N are hosts */

static void ns_name(char *buf, size_t len, int i)
{
	if (i == 0)
		snprintf(buf, len, "%s", prefix);
	else
		snprintf(buf, len, "%s.h%d", prefix, i);
}

/* Hosts first, the switch last (as bench/ipbatch.sh does). Measured at
 * N=1000: 0.3-0.4 s with the switch first (the kernel then destroys every
 * veth and the bridge on the other CPU while the umounts run), 20-50 ms
 * with the switch last. */
static int teardown(void)
{
	int rc = 0;
	char name[128];
	for (int i = first == 0 ? 1 : first; i <= created; i++) {
		int k = i < created ? i : 0; /* hosts, then the switch */
		if (k == 0 && (first != 0 || created == 0))
			break;
		ns_name(name, sizeof(name), k);
		if (netns_del(name) < 0) {
			die("delete %s: %s", name, strerror(errno));
			rc = -1;
		}
	}
	created = 0;
	return rc;
}

static int run(int lab, int n)
{
	double t_ns = 0, t_veth = 0, t_addr = 0, t;
	char name[128], vname[IFNAMSIZ];
	int swnl = -1, br = 0, err;

	first = lab ? 0 : 1;
	created = first;
	double t0 = now();
	if (lab) {
		t = now();
		if (netns_new(prefix, NULL) < 0) {
			if (errno != EEXIST)
				created = 1; /* mounted before the failure */
			die("netns %s: %s", prefix, strerror(errno));
			return -1;
		}
		created = 1;
		swnl = nl_open();
		t_ns += now() - t;
		if (swnl < 0 || (err = link_up(swnl, 1)) < 0 ||
		    (err = bridge_add(swnl, "lan", 1500)) < 0 ||
		    (err = link_index(swnl, "lan", &br)) < 0) {
			die("bridge: %s", strerror(swnl < 0 ? errno : -err));
			return -1;
		}
	}

	for (int i = 1; i <= n; i++) {
		int nsfd = -1, hnl = -1, eth0 = 0;
		ns_name(name, sizeof(name), i);
		t = now();
		if (netns_new(name, lab ? &nsfd : NULL) < 0) {
			if (errno != EEXIST)
				created = i + 1; /* may be mounted: remove it */
			die("netns %s: %s", name, strerror(errno));
			return -1;
		}
		created = i + 1;
		if (lab)
			hnl = nl_open();
		t_ns += now() - t;
		if (!lab)
			continue;
		if (hnl < 0) {
			die("netlink socket: %s", strerror(errno));
			return -1;
		}

		t = now();
		snprintf(vname, sizeof(vname), "h%d-p", i);
		err = veth_add(swnl, vname, br, "eth0", nsfd);
		t_veth += now() - t;
		close(nsfd);
		if (err < 0) {
			die("veth %s: %s", vname, strerror(-err));
			return -1;
		}

		t = now();
		uint32_t a = htonl((10u << 24) | (200u << 16) | (uint32_t)i);
		if ((err = link_index(hnl, "eth0", &eth0)) < 0 ||
		    (err = addr_add(hnl, eth0, a, 16)) < 0 ||
		    (err = link_up(hnl, eth0)) < 0 ||
		    (err = link_up(hnl, 1)) < 0) {
			die("address in %s: %s", name, strerror(-err));
			return -1;
		}
		t_addr += now() - t;
		close(hnl);
	}
	double up = now() - t0;
	if (back_to_root() < 0) {
		die("setns: %s", strerror(errno));
		return -1;
	}
	if (swnl >= 0)
		close(swnl);

	printf("n=%d\nnetns=%.6f\n", n, t_ns);
	printf("ns_file=%.6f\nns_unshare=%.6f\nns_mount=%.6f\n", t_file, t_unshare, t_mount);
	if (lab)
		printf("veth=%.6f\naddr=%.6f\n", t_veth, t_addr);
	printf("up=%.6f\n", up);
	fflush(stdout);
	if (keep) {
		printf("kept=%s\n", prefix);
		return 0;
	}
	t0 = now();
	if (teardown() < 0)
		return -1;
	double down = now() - t0;
	double st = 0;
	if (settle(&st) < 0) {
		die("settle: %s", strerror(errno));
		return -1;
	}
	printf("down=%.6f\nsettle=%.6f\n", down, st);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;
	snprintf(prefix, sizeof(prefix), "nsc%d", (int)getpid());
	while ((opt = getopt(argc, argv, "6kp:")) != -1) {
		if (opt == 'p')
			snprintf(prefix, sizeof(prefix), "%s", optarg);
		else if (opt == 'k')
			keep = 1;
		else if (opt == '6')
			noipv6 = 1;
		else
			goto usage;
	}
	if (optind >= argc)
		goto usage;
	const char *mode = argv[optind];
	root_nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (root_nsfd < 0) {
		die("/proc/self/ns/net: %s", strerror(errno));
		return 1;
	}
	if (strcmp(mode, "settle") == 0) {
		double st;
		if (settle(&st) < 0) {
			die("settle: %s", strerror(errno));
			return 1;
		}
		printf("settle=%.6f\n", st);
		return 0;
	}
	if (optind + 1 >= argc)
		goto usage;
	int n = atoi(argv[optind + 1]);
	if (strcmp(mode, "down") == 0 && n >= 1 && n <= 65534) {
		/* the teardown of a lab left by -k: PREFIX, PREFIX.h1..N */
		first = 0;
		created = n + 1;
		double t0 = now();
		int rc = teardown();
		printf("n=%d\ndown=%.6f\n", n, now() - t0);
		return rc < 0 ? 1 : 0;
	}
	int lab = strcmp(mode, "lab") == 0;
	if ((!lab && strcmp(mode, "netns") != 0) || n < 1 || n > 65534)
		goto usage;
	if (netns_dir_ready() < 0) {
		die(NETNS_RUN_DIR ": %s", strerror(errno));
		return 1;
	}
	if (run(lab, n) < 0) {
		back_to_root();
		teardown();
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: nscost [-6] [-k] [-p PREFIX] netns|lab N\n"
			"       nscost [-p PREFIX] down N\n"
			"       nscost settle\n");
	return 2;
}
