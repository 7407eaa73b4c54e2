namespace UNComp.Runtime.Tokenization;

/// <summary>
/// Binary min-heap of candidate merges ordered by (rank, position), the order HF's BPE applies them in.
/// A plain struct array: cheaper than <see cref="PriorityQueue{TElement, TPriority}"/> for this hot loop.
/// </summary>
internal sealed class MergeQueue
{
    private Entry[] _items = new Entry[64];
    private int _count;

    public void Clear() => _count = 0;

    public void Push(int rank, int pos, int newId)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _count * 2);
        }

        var entry = new Entry(((long)rank << 32) | (uint)pos, newId);
        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_items[parent].Key <= entry.Key)
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = entry;
    }

    public bool TryPop(out int pos, out int newId)
    {
        if (_count == 0)
        {
            pos = newId = 0;
            return false;
        }

        var top = _items[0];
        pos = (int)(uint)top.Key;
        newId = top.NewId;
        var last = _items[--_count];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _items[child + 1].Key < _items[child].Key)
            {
                child++;
            }

            if (last.Key <= _items[child].Key)
            {
                break;
            }

            _items[i] = _items[child];
            i = child;
        }

        _items[i] = last;
        return true;
    }

    private readonly record struct Entry(long Key, int NewId);
}
