/*
 * version.h - the release of Ember every binary reports with --version.
 * One value for the whole tree: emberd, ember-cli, ember-prover and
 * ember-sim print the same string.
 */
#ifndef EMBER_VERSION_H
#define EMBER_VERSION_H

#define EMBER_VERSION "0.4.0"

#endif
