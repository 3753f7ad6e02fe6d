#ifndef CSPAWN_H
#define CSPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` (NULL-terminated) and the current environment, its stdin and stdout
/// connected to two new pipes and every other descriptor of this process closed in the child. On
/// success returns 0 and sets `*pid`, `*to_child` (write end, close-on-exec) and `*from_child` (read
/// end, close-on-exec); otherwise returns an errno value. Glibc's pipe2 and
/// posix_spawn_file_actions_addclosefrom_np need _GNU_SOURCE, which Swift's Glibc module does not see.
int cspawn_with_pipes(const char *path, char *const argv[], pid_t *pid, int *to_child, int *from_child);

#endif
