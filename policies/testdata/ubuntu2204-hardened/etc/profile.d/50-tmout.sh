# Log out shells idle for 15 minutes.
TMOUT=900
readonly TMOUT
export TMOUT
