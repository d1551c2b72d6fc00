/* calib_blas.c: OpenBLAS, loaded by the calibration only.
 *
 * OpenBLAS starts its worker threads when the library is loaded, and they
 * spin for about 2^28 cycles before sleeping: linked into every process,
 * that is ~0.05-0.1 s of a second core for each `run` or sweep point,
 * which never calls BLAS. So infercost links no BLAS of its own (GSL keeps
 * its own CBLAS, which nothing on a serving path calls) and `validate`
 * opens OpenBLAS here, on its first use. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>

#include "calib_impl.h"
#include "infercost/status.h"

struct ic__blas ic__blas;

ic_status ic__blas_load(int threads) {
  if (!ic__blas.sgemm) {
    void *h = dlopen(IC_OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      ic_diag("validate", 0, "cannot load OpenBLAS (%s): %s", IC_OPENBLAS_SONAME, dlerror());
      return IC_EINTERNAL;
    }
    struct ic__blas b;
    /* POSIX: a function pointer's bits pass through void * (dlsym's contract). */
    *(void **)&b.sgemm = dlsym(h, "cblas_sgemm");
    *(void **)&b.sgemv = dlsym(h, "cblas_sgemv");
    *(void **)&b.sdot = dlsym(h, "cblas_sdot");
    *(void **)&b.set_num_threads = dlsym(h, "openblas_set_num_threads");
    if (!b.sgemm || !b.sgemv || !b.sdot || !b.set_num_threads) {
      ic_diag("validate", 0, "%s lacks a CBLAS function this calibration needs", IC_OPENBLAS_SONAME);
      dlclose(h);
      return IC_EINTERNAL;
    }
    ic__blas = b; /* the handle stays open for the process's life */
  }
  ic__blas.set_num_threads(threads);
  return IC_OK;
}
