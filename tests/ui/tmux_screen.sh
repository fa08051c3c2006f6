# Sourced by the tmux UI tests after they define T (their tmux command): screen prints window w,
# wait_for PATTERN [SECONDS] polls it every 50 ms until grep -E matches (status 1 on timeout), poll
# SECONDS CMD... runs CMD until it succeeds. Deadlines are wall-clock and scaled by BB_WAIT_SCALE
# (default 3) so a loaded machine or a sanitizer build only makes a passing test slower; they are
# never what a test measures.
screen() { T capture-pane -t w -p; }
wait_deadline() { echo $((SECONDS + ${1:-10} * ${BB_WAIT_SCALE:-3} + 1)); }
poll() { # poll SECONDS CMD...: status 0 as soon as CMD succeeds, 1 past the deadline
    local end
    end=$(wait_deadline "$1")
    shift
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}
screen_has() { screen | grep -qE -- "$1"; }
wait_for() { poll "${2:-10}" screen_has "$1"; }
