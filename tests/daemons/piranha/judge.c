/*
 * Copyright (c) lvs.cluster contributors
 * GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Test-only judge: runs piranha's own lvs.cf parser (lvsParseConfig from piranha's lvsconfig.c, compiled from the
 * third-party tarball at test time by build.py, never copied here) on each file named on the command line and
 * prints one JSON object per file: {"file", "rc", "line", "error", "config"}. "config" is what piranha read
 * (global settings, virtual and failover blocks with their servers) when rc is 0, so tests can compare it with
 * what lvs.cluster meant to write.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "lvsconfig.h"

static void str(const char *key, const char *value, int comma)
{
    const unsigned char *p;

    printf("\"%s\": ", key);
    if (!value) {
        printf("null");
    } else {
        putchar('"');
        for (p = (const unsigned char *) value; *p; p++) {
            if (*p == '"' || *p == '\\')
                printf("\\%c", *p);
            else if (*p < 0x20 || *p >= 0x7f)
                printf("\\u%04x", *p);
            else
                putchar(*p);
        }
        putchar('"');
    }
    if (comma)
        printf(", ");
}

static void num(const char *key, long value, int comma)
{
    printf("\"%s\": %ld%s", key, value, comma ? ", " : "");
}

static void addr(const char *key, struct in_addr value, int comma)
{
    str(key, inet_ntoa(value), comma);
}

static void virtual_server(struct lvsVirtualServer *vs)
{
    int i;

    printf("{");
    str("name", vs->name, 1);
    num("failover", vs->failover_service != 0, 1);
    num("active", vs->isActive, 1);
    str("device", vs->virtualDevice, 1);
    addr("address", vs->virtualAddress, 1);
    addr("vip_nmask", vs->vip_nmask, 1);
    addr("sorry_server", vs->sorry_server, 1);
    num("fwmark", (long) vs->fwmark, 1);
    num("fwmark_as_int", (long) (int) vs->fwmark, 1);
    str("protocol", vs->protocol == IPPROTO_UDP ? "udp" : vs->protocol == IPPROTO_TCP ? "tcp" : "other", 1);
    num("port", vs->port, 1);
    num("scheduler", vs->scheduler, 1);
    num("persistent", vs->persistent, 1);
    addr("pmask", vs->pmask, 1);
    str("client_monitor", vs->clientMonitor, 1);
    str("send_program", vs->send_program, 1);
    str("send", vs->send_str, 1);
    str("expect", vs->expect_str, 1);
    num("timeout", vs->timeout, 1);
    num("reentry", vs->reentryTime, 1);
    num("quiesce_server", vs->quiesceServer, 1);
    num("use_regex", vs->useRegex, 1);
    str("load_monitor", vs->loadMonitor, 1);
    str("start_cmd", vs->start_cmd, 1);
    str("stop_cmd", vs->stop_cmd, 1);
    printf("\"servers\": [");
    for (i = 0; i < vs->numServers; i++) {
        struct lvsService *s = vs->servers + i;

        printf("%s{", i ? ", " : "");
        str("name", s->name, 1);
        addr("address", s->address, 1);
        num("active", s->isActive, 1);
        num("port", s->port, 1);
        num("weight", s->weight, 0);
        printf("}");
    }
    printf("]}");
}

static void config(struct lvsConfig *c)
{
    int i;

    printf("{");
    num("serial_no", c->serial_no, 1);
    addr("primary", c->primaryServer, 1);
    addr("primary_private", c->primaryPrivate, 1);
    str("primary_shared", c->primaryShared, 1);
    addr("backup", c->backupServer, 1);
    addr("backup_private", c->backupPrivate, 1);
    num("backup_active", c->backupActive, 1);
    addr("nat_router", c->natRouter, 1);
    str("nat_router_device", c->natRouterDevice, 1);
    addr("nat_nmask", c->nat_nmask, 1);
    num("heartbeat", c->useHeartbeat, 1);
    num("heartbeat_port", c->heartbeatPort, 1);
    num("keepalive", c->keepAliveTime, 1);
    num("deadtime", c->deadTime, 1);
    str("rsh_command", c->rshCommand, 1);
    str("debug_level", c->debug_level, 1);
    str("ipvsadm", c->vsadm, 1);
    num("network", c->redirectType, 1);
    num("service", c->lvsServiceType, 1);
    num("syncdaemon", c->useSyncDaemon, 1);
    num("syncd_id", c->syncdID, 1);
    str("syncd_iface", c->syncdInterface, 1);
    num("monitor_links", c->monitorLinks, 1);
    num("hard_shutdown", c->hardShutdown, 1);
    num("tcp_timeout", c->tcpTimeout, 1);
    num("tcpfin_timeout", c->tcpfinTimeout, 1);
    num("udp_timeout", c->udpTimeout, 1);
    str("active_cmd", c->activeCommand, 1);
    str("inactive_cmd", c->inactiveCommand, 1);
    printf("\"virtual\": [");
    for (i = 0; i < c->numVirtServers; i++) {
        if (i)
            printf(", ");
        virtual_server(c->virtServers + i);
    }
    printf("]}");
}

int main(int argc, char **argv)
{
    int i, status = 0;

    for (i = 1; i < argc; i++) {
        struct lvsConfig c;
        int line = 0, rc, fd;

        memset(&c, 0, sizeof(c));
        fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            perror(argv[i]);
            return 2;
        }
        rc = lvsParseConfig(fd, &c, &line);
        close(fd);
        printf("{");
        str("file", argv[i], 1);
        num("rc", rc, 1);
        num("line", line, 1);
        str("error", rc ? lvsStrerror(rc) : NULL, 1);
        printf("\"config\": ");
        if (rc)
            printf("null");
        else
            config(&c);
        printf("}\n");
        fflush(stdout);
        if (rc)
            status = 1;
    }
    return status;
}
