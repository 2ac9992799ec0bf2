<?php

namespace Joomla\CMS;

final class Version
{
    public const PRODUCT = 'Joomla!';
    public const MAJOR_VERSION = 4;
    public const MINOR_VERSION = 4;
    public const PATCH_VERSION = 0;
    public const EXTRA_VERSION = '';
    public const RELEASE = '4.4';
