/*
 * support_part.h: the state a test's header-only helpers keep, in a test of
 * one source file or of several (tests/CMakeLists.txt, unit_parts: one
 * executable, one costly fixture made once for all its files).
 *
 * A header declares its state TEST_SHARED. In a test of one file that is
 * static, as before. In a test of several, every file defines TEST_PART
 * before its includes and the test's main file TEST_PART_HOME as well: the
 * main file holds the one copy, the parts refer to it.
 */
#ifndef SEALPACT_TEST_SUPPORT_PART_H
#define SEALPACT_TEST_SUPPORT_PART_H

#if defined(TEST_PART_HOME)
#define TEST_SHARED
#elif defined(TEST_PART)
#define TEST_SHARED extern
#else
#define TEST_SHARED static
#endif

#endif
