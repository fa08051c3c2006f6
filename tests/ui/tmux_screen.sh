# Sourced by the tmux UI tests after they define T (their tmux command): screen prints window w,
# wait_for PATTERN [SECONDS] polls it every 50 ms until grep -E matches (status 1 on timeout).
screen() { T capture-pane -t w -p; }
wait_for() {
    local pat=$1 secs=${2:-10} i
    for ((i = 0; i < secs * 20; i++)); do
        screen | grep -qE -- "$pat" && return 0
        sleep 0.05
    done
    return 1
}
