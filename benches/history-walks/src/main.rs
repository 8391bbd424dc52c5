//! The three history walks of evident's git_history probe (commits in the window, the
//! first-parent line, everything reachable from the default branch), timed in git2 and
//! in gix on the same repository.
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let branch = &args[2];
    let days: i64 = args[3].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let since = now - days * 86_400;

    // git2
    let t = Instant::now();
    let repo = git2::Repository::open(path).unwrap();
    let tip = repo
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id();
    let mut walk = repo.revwalk().unwrap();
    walk.push(tip).unwrap();
    let mut window = 0;
    for oid in walk {
        let c = repo.find_commit(oid.unwrap()).unwrap();
        if c.time().seconds() < since {
            break;
        }
        window += 1;
    }
    let a = t.elapsed();
    let mut walk = repo.revwalk().unwrap();
    walk.push(tip).unwrap();
    walk.simplify_first_parent().unwrap();
    let mut fp = 0;
    for oid in walk {
        let c = repo.find_commit(oid.unwrap()).unwrap();
        if c.time().seconds() < since {
            break;
        }
        fp += 1;
    }
    let b = t.elapsed();
    let mut walk = repo.revwalk().unwrap();
    walk.push(tip).unwrap();
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
    let mut repo = gix::open(path).unwrap();
    repo.object_cache_size_if_unset(64 * 1024 * 1024);
    let tip = repo
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_id()
        .unwrap()
        .detach();
    use gix::revision::walk::Sorting;
    use gix::traverse::commit::simple::CommitTimeOrder;
    let window = repo
        .rev_walk([tip])
        .sorting(Sorting::ByCommitTimeCutoff {
            order: CommitTimeOrder::NewestFirst,
            seconds: since,
        })
        .all()
        .unwrap()
        .count();
    let a = t.elapsed();
    let mut fp = 0;
    for info in repo.rev_walk([tip]).first_parent_only().all().unwrap() {
        let info = info.unwrap();
        let time = info
            .commit_time
            .unwrap_or_else(|| info.object().unwrap().time().unwrap().seconds);
        if time < since {
            break;
        }
        fp += 1;
    }
    let b = t.elapsed();
    let all = repo.rev_walk([tip]).all().unwrap().count();
    let c = t.elapsed();
    println!(
        "gix:  window {window} commits {:?}; first-parent {fp} {:?}; reachable {all} {:?}",
        a,
        b - a,
        c - b
    );
}
