/*
 * Copyright (c) lvs.cluster contributors
 * GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Test-only judge: nanny's own escape translation (convert_str in piranha's nanny.c, compiled from the third-party
 * tarball at test time by build.py with nanny's main renamed, never copied here). For each argument it prints one
 * line: the translated text in hex, or "loop" when convert_str did not return within 200 ms (it loops forever on an
 * escape it does not know).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

void convert_str(char *in_string);

int main(int argc, char **argv)
{
    int i, status, fds[2];

    for (i = 1; i < argc; i++) {
        pid_t child;
        char buf[8192];
        ssize_t got, total = 0;

        if (pipe(fds) < 0)
            return 2;
        child = fork();
        if (child == 0) {
            struct itimerval limit = {{0, 0}, {0, 200000}};
            char *copy = strdup(argv[i]);
            const unsigned char *p;
            FILE *out = fdopen(fds[1], "w");

            close(fds[0]);
            signal(SIGALRM, SIG_DFL);
            setitimer(ITIMER_REAL, &limit, NULL);
            convert_str(copy);
            for (p = (const unsigned char *) copy; *p; p++)
                fprintf(out, "%02x", *p);
            fclose(out);
            _exit(0);
        }
        close(fds[1]);
        while ((got = read(fds[0], buf + total, sizeof(buf) - 1 - total)) > 0)
            total += got;
        close(fds[0]);
        buf[total] = '\0';
        waitpid(child, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            printf("%s\n", buf);
        else
            printf("loop\n");
        fflush(stdout);
    }
    return 0;
}
