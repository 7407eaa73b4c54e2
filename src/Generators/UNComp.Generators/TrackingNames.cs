namespace UNComp.Generators
{
    /// <summary>
    /// Names of the incremental pipeline steps (<c>WithTrackingName</c>), so tests can assert why each step ran.
    /// </summary>
    public static class TrackingNames
    {
        /// <summary>Additional files whose name ends in <c>.uncomp.json</c>.</summary>
        public const string ProfileFiles = nameof(ProfileFiles);

        /// <summary>
        /// Additional files that came from an <c>UNCompProfile</c> item but do not end in <c>.uncomp.json</c> (each
        /// becomes UNC0024); null for every other additional file.
        /// </summary>
        public const string MisnamedProfileItems = nameof(MisnamedProfileItems);

        /// <summary>File text plus the MSBuild options that apply to it (class name, namespace).</summary>
        public const string ProfileInputs = nameof(ProfileInputs);

        /// <summary>Parse and validation result: the spec (if valid) and its diagnostics.</summary>
        public const string ParsedProfiles = nameof(ParsedProfiles);

        /// <summary>Diagnostics of one profile, reported separately from the code so a moved diagnostic never re-emits code.</summary>
        public const string ProfileDiagnostics = nameof(ProfileDiagnostics);

        /// <summary>The equatable spec of a valid profile.</summary>
        public const string ProfileSpecs = nameof(ProfileSpecs);

        /// <summary>Each valid profile's generated class name with the location of its <c>name</c> value.</summary>
        public const string ClassNameClaims = nameof(ClassNameClaims);

        /// <summary>Class names claimed by more than one profile, with their diagnostics.</summary>
        public const string DuplicateClassNames = nameof(DuplicateClassNames);

        /// <summary>Only the names from <see cref="DuplicateClassNames"/> (no locations), to filter emission.</summary>
        public const string DuplicateNameSet = nameof(DuplicateNameSet);

        /// <summary>Specs that will be emitted (valid and with a unique class name).</summary>
        public const string EmittableSpecs = nameof(EmittableSpecs);

        /// <summary>Which UNComp.Runtime types the compilation references (decides whether the runtime half is emitted).</summary>
        public const string RuntimeSupport = nameof(RuntimeSupport);

        /// <summary>Emittable specs paired with the runtime support, when the runtime is referenced.</summary>
        public const string RuntimeSpecs = nameof(RuntimeSpecs);
    }
}
