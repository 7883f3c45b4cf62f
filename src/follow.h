/*
 * follow.h - `authgate follow`: apply the deliveries other hosts
 * published to the NATS JetStream stream (docs/multihost.md).
 */
#ifndef AUTHGATE_FOLLOW_H
#define AUTHGATE_FOLLOW_H

/*
 * Runs the follower until SIGTERM or SIGINT: exit 0; 2 on bad settings
 * or options; 1 when NATS or the store fails at start; 3 when this
 * host's consumer is behind the stream's retention (bootstrap with
 * export/import, then --reset).
 */
int	follow_main(int argc, char **argv);

#endif
