using System;
using System.Collections;
using System.Collections.Generic;

namespace UNComp.Generators.Model
{
    /// <summary>
    /// An immutable array compared by its elements, so specs holding arrays stay equatable and the incremental
    /// pipeline can tell "same content" from "new object".
    /// </summary>
    internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        private readonly T[]? _items;

        public EquatableArray(T[] items) => _items = items;

        public static EquatableArray<T> Empty => new EquatableArray<T>(Array.Empty<T>());

        public int Count => _items?.Length ?? 0;

        public T this[int index] => (_items ?? Array.Empty<T>())[index];

        public bool Equals(EquatableArray<T> other)
        {
            T[] a = _items ?? Array.Empty<T>();
            T[] b = other._items ?? Array.Empty<T>();
            if (a.Length != b.Length)
            {
                return false;
            }

            for (int i = 0; i < a.Length; i++)
            {
                if (!EqualityComparer<T>.Default.Equals(a[i], b[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            foreach (T item in _items ?? Array.Empty<T>())
            {
                hash = unchecked((hash * 31) + (item is null ? 0 : EqualityComparer<T>.Default.GetHashCode(item)));
            }

            return hash;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? Array.Empty<T>())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

        public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);
    }

    /// <summary>Factory helpers for <see cref="EquatableArray{T}"/>.</summary>
    internal static class EquatableArray
    {
        public static EquatableArray<T> From<T>(IEnumerable<T> items)
            where T : IEquatable<T>
            => new EquatableArray<T>(new List<T>(items).ToArray());
    }
}
