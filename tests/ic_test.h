/* ic_test.h: includes cmocka needs, in the order cmocka 1.1.5 requires. */
#ifndef IC_TEST_H
#define IC_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
