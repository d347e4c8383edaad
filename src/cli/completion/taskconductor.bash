# bash completion for taskconductor                                  -*- shell-script -*-
# Installed as share/bash-completion/completions/taskconductor.

_taskconductor()
{
    local cur prev words cword
    _init_completion || return

    local command="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            run | status)
                command=${words[i]}
                break
                ;;
        esac
    done

    # After "--" (run): a command, then its arguments and argument sources.
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            if ((i == cword - 1)); then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                _filedir # arguments, and the files after "::::"
            fi
            return
        fi
    done

    case $prev in
        --store | --log)
            _filedir
            return
            ;;
        --results)
            _filedir -d
            return
            ;;
        --events)
            COMPREPLY=($(compgen -W 'text json none' -- "$cur"))
            return
            ;;
        --stop-signal)
            COMPREPLY=($(compgen -W 'TERM INT HUP QUIT USR1 USR2 KILL' -- "$cur"))
            return
            ;;
        --log-format)
            COMPREPLY=($(compgen -W 'text json' -- "$cur"))
            return
            ;;
        --progress)
            COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
            return
            ;;
        --executor)
            COMPREPLY=($(compgen -W 'local slurm' -- "$cur"))
            return
            ;;
        --halt)
            COMPREPLY=($(compgen -W 'never soon,fail= now,fail= soon,success= now,success=' \
                -- "$cur"))
            compopt -o nospace
            return
            ;;
        -j | --jobs | --queue-depth | --timeout | --idle-timeout | --retries | --retry-delay | --retry-backoff | \
            --retry-max-delay | --retry-jitter | --kill-grace | --log-rotate-bytes | \
            --max-line-bytes | --max-task-line-bytes | --slurm-partition | --slurm-account | \
            --slurm-srun-arg | --slurm-salloc-arg | --slurm-time | --log-backups | --lane)
            return
            ;;
    esac

    case $command in
        "")
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
            else
                COMPREPLY=($(compgen -W 'run status' -- "$cur"))
            fi
            ;;
        status)
            COMPREPLY=($(compgen -W '--store --json --help' -- "$cur"))
            ;;
        run)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--jobs --queue-depth --timeout --idle-timeout --stop-signal --retries
                    --retry-delay --retry-backoff --retry-max-delay --retry-jitter
                    --kill-grace --log --log-rotate-bytes --log-format --events --progress
                    --store --max-line-bytes --max-task-line-bytes --halt --group
                    --keep-order --results --dry-run --executor --slurm-partition
                    --slurm-account --slurm-srun-arg --slurm-salloc-arg --slurm-exact
                    --slurm-time --log-backups --fresh --lane --help --version --' -- "$cur"))
            else
                _filedir '@(jsonl|json|txt)'
            fi
            ;;
    esac
} &&
    complete -F _taskconductor taskconductor

# ex: filetype=sh
