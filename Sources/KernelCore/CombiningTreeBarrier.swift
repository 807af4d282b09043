// CombiningTreeBarrier: arrivals combine up a tree, releases come down it.

import Platform
import CPlatform
import Synchronization

/// One node of the tree, alone on its line(s): its arrival counter, the sense
/// its waiters spin on, and its place in the tree.
@usableFromInline
struct CombiningTreeNode: ~Copyable {
    /// Children (participants or nodes) still to arrive in this episode.
    @usableFromInline let remaining: Atomic<Int>
    /// Flipped by the node's last arrival once the episode is complete above it.
    @usableFromInline let sense: Atomic<Bool>
    /// How many children arrive here each episode.
    @usableFromInline let children: Int
    /// Index of the parent node, or -1 at the root.
    @usableFromInline let parent: Int
    @usableFromInline init(children: Int, parent: Int) {
        remaining = Atomic(children)
        sense = Atomic(false)
        self.children = children
        self.parent = parent
    }
}

/// The software combining-tree barrier (Yew, Tzeng and Lawrie; in the form
/// Mellor-Crummey and Scott give it): participants arrive at leaf nodes of at
/// most `fanIn` each; the last arrival at a node goes on to its parent, so a
/// counter sees at most `fanIn` RMWs per episode instead of N. The last
/// arrival at the root has completed the episode; every thread that was last
/// somewhere then releases the nodes it passed by flipping their sense, and
/// the waiters spinning there (on a line shared by `fanIn` threads only) go.
///
/// With N <= fanIn the tree is one node, the central barrier: `levels`
/// says how deep it is (the fork-join benchmark only runs it where the tree
/// has two levels or more). Waits are bounded by `BarrierSpin`.
@frozen
public struct CombiningTreeBarrier: KernelBarrier, @unchecked Sendable {
    @usableFromInline let nodes: CacheLineArray<CombiningTreeNode>
    @usableFromInline let cancelled: CacheLineBox<Atomic<Bool>>
    @usableFromInline let local: CacheLineArray<Bool>
    @usableFromInline let spin: BarrierSpin
    public let participants: Int
    public let fanIn: Int
    /// Levels of the tree (1: a single node).
    public let levels: Int

    public static var name: String { "tree" }

    public init(participants: Int, fanIn: Int = 2, spin: BarrierSpin = .dedicated) {
        precondition(participants > 0, "CombiningTreeBarrier: participants must be positive")
        precondition(fanIn >= 2, "CombiningTreeBarrier: fanIn must be at least 2")
        self.participants = participants
        self.fanIn = fanIn
        self.spin = spin
        let shape = Self.shape(participants: participants, fanIn: fanIn)
        levels = shape.levels
        nodes = CacheLineArray(count: shape.children.count) {
            CombiningTreeNode(children: shape.children[$0], parent: shape.parents[$0])
        }
        cancelled = CacheLineBox(Atomic(false))
        local = CacheLineArray(count: participants) { _ in false }
    }

    /// The tree for `participants`: node i has `children[i]` arrivals and
    /// parent `parents[i]`. Leaves first (participant p arrives at node
    /// p / fanIn), then each level above, the root last.
    public static func shape(participants: Int, fanIn: Int) -> (children: [Int], parents: [Int], levels: Int) {
        var children: [Int] = [], parents: [Int] = []
        var below = participants, levelStart = 0, levels = 0
        repeat {
            let count = (below + fanIn - 1) / fanIn
            for node in 0..<count {
                children.append(min(fanIn, below - node * fanIn))
                parents.append(-1)
            }
            if levels > 0 {
                // The previous level's nodes point at this level's.
                let previousCount = below, previousStart = levelStart - previousCount
                for child in 0..<previousCount { parents[previousStart + child] = levelStart + child / fanIn }
            }
            levelStart += count
            below = count
            levels += 1
        } while below > 1
        return (children, parents, levels)
    }

    @inlinable
    public func wait(participant: Int) -> Bool {
        let mine = local.pointer(at: participant)
        let episodeSense = !mine.pointee
        mine.pointee = episodeSense
        let leaf = participant / fanIn
        // Climb while we are the last arrival; stop at the node where we
        // must wait (or at the root, having completed the episode).
        var node = leaf
        var completed = false
        while true {
            let here = nodes.pointer(at: node)
            // acquiringAndReleasing: our (and, transitively, our subtree's)
            // writes go up; the last arrival at the root sees everybody's.
            if here.pointee.remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                if here.pointee.parent < 0 { completed = true; break }
                node = here.pointee.parent
            } else {
                let sense = here
                // Acquiring: pairs with the releasing flip of whoever releases this node.
                guard spin.wait(cancelled: cancelled.pointer, until: {
                    sense.pointee.sense.load(ordering: .acquiring) == episodeSense
                }) else { return false }
                break
            }
        }
        // Release the root if we completed the episode, then every node
        // below it on our path (we were the last arrival at each): reset the
        // counter first (relaxed: the releasing flip publishes it).
        if completed { release(node, sense: episodeSense) }
        var below = leaf
        while below != node {
            release(below, sense: episodeSense)
            below = nodes.pointer(at: below).pointee.parent
        }
        return true
    }

    @inlinable
    func release(_ index: Int, sense: Bool) {
        let here = nodes.pointer(at: index)
        here.pointee.remaining.store(here.pointee.children, ordering: .relaxed)
        here.pointee.sense.store(sense, ordering: .releasing)
    }

    public func cancel() { cancelled.pointee.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.pointee.load(ordering: .relaxed) }

    public func deallocate() {
        nodes.deallocate()
        cancelled.deallocate()
        local.deallocate()
    }
}
