# Idle shells end after 15 minutes.
TMOUT=900
readonly TMOUT
export TMOUT
