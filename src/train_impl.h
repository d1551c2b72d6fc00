/* train_impl.h: helpers shared by the files of the train module. */
#ifndef IC_TRAIN_IMPL_H
#define IC_TRAIN_IMPL_H

/* "none", "selective", "full" (or "auto") for an enum ic_train_recompute. */
const char *ic__train_recompute_name(int level);

#endif
