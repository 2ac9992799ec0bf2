<?php
// Joomla administrator entry point (fixture)
