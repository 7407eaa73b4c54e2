namespace UNComp.Generators
{
    /// <summary>Placeholder until the generator lands (public so tests can load the assembly).</summary>
    public static class GeneratorInfoProbe
    {
        /// <summary>The profile format the generator reads.</summary>
        public const string ProfileFormat = "uncomp-profile/1";
    }
}
