//! The three history walks of evident's git_history probe (commits in the window, the
//! first-parent line, everything reachable from the default branch), timed in git2 and
//! in gix on the same repository.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, branch, days] = args.as_slice() else {
        return Err("usage: history-walks REPO BRANCH DAYS".into());
    };
    let days: i64 = days.parse()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let since = now - days * 86_400;

    // git2
    let t = Instant::now();
    let repo = git2::Repository::open(path)?;
    let tip = repo
        .find_reference(&format!("refs/heads/{branch}"))?
        .peel_to_commit()?
        .id();
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    let mut window = 0;
    for oid in walk {
        let c = repo.find_commit(oid?)?;
        if c.time().seconds() < since {
            break;
        }
        window += 1;
    }
    let a = t.elapsed();
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    walk.simplify_first_parent()?;
    let mut fp = 0;
    for oid in walk {
        let c = repo.find_commit(oid?)?;
        if c.time().seconds() < since {
            break;
        }
        fp += 1;
    }
    let b = t.elapsed();
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    let all = walk.count();
    let c = t.elapsed();
    println!(
        "git2: window {window} commits {:?}; first-parent {fp} {:?}; reachable {all} {:?}",
        a,
        b - a,
        c - b
    );

    // gix
    let t = Instant::now();
    let mut repo = gix::open(path)?;
    repo.object_cache_size_if_unset(64 * 1024 * 1024);
    let tip = repo
        .find_reference(&format!("refs/heads/{branch}"))?
        .peel_to_id()?
        .detach();
    use gix::revision::walk::Sorting;
    use gix::traverse::commit::simple::CommitTimeOrder;
    let window = repo
        .rev_walk([tip])
        .sorting(Sorting::ByCommitTimeCutoff {
            order: CommitTimeOrder::NewestFirst,
            seconds: since,
        })
        .all()?
        .count();
    let a = t.elapsed();
    let mut fp = 0;
    for info in repo.rev_walk([tip]).first_parent_only().all()? {
        let info = info?;
        let time = match info.commit_time {
            Some(t) => t,
            None => info.object()?.time()?.seconds,
        };
        if time < since {
            break;
        }
        fp += 1;
    }
    let b = t.elapsed();
    let all = repo.rev_walk([tip]).all()?.count();
    let c = t.elapsed();
    println!(
        "gix:  window {window} commits {:?}; first-parent {fp} {:?}; reachable {all} {:?}",
        a,
        b - a,
        c - b
    );
    Ok(())
}
